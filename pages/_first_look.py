"""The provisional map drawn while the encoder trains (see ``core.session.provisional``), replaced by the
encoder's map when the run finishes."""
from __future__ import annotations

import streamlit as st

from core.plots.map_points import drawn_rows, hover_titles
from core.pipeline import Embedded
from core.plots.plots import map_figure
from core.session.provisional import first_look

from . import _cached as cached
from . import _mapchart

LABEL = "Provisional map: K-Means on the raw embeddings; the encoder is still training"


class FirstLookSlot:
    """A placeholder that ``run(..., on_embedded=slot)`` fills with the provisional map."""

    def __init__(self) -> None:
        self.slot = st.empty()

    def __call__(self, so_far: Embedded) -> None:
        look = first_look(so_far, cached.CACHE)
        rows = drawn_rows(look.labels, so_far.config.seed)
        titles = so_far.corpus.frame["title"].to_numpy()[rows]
        fig = map_figure(look.xy[rows], look.labels[rows], look.names, hover_titles(titles), rows,
                         title="PCA of the raw embeddings (provisional)")
        fig.update_layout(dragmode="pan")
        with self.slot.container():
            st.info(f"**{LABEL}.** The encoder's map replaces it when training is done.",
                    icon=":material/hourglass_top:")
            _mapchart.chart(fig, key="first_look_map")  # filled once a run, when the encoder starts training

    def clear(self) -> None:
        self.slot.empty()
