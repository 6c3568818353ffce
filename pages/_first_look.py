"""The provisional map drawn while the encoder trains (see ``core.session.provisional``), replaced by the
encoder's map when the run finishes."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from core.plots import map_figure

from . import _cached as cached
from . import _mapchart

if TYPE_CHECKING:
    from core.pipeline import Embedded

LABEL = "Provisional map: K-Means on the raw embeddings; the encoder is still training"


class FirstLookSlot:
    """A placeholder that ``run(..., on_embedded=slot)`` fills with the provisional map."""

    def __init__(self) -> None:
        self.slot = st.empty()

    def __call__(self, so_far: Embedded) -> None:
        look, rows, hover = cached.bench().first_look(so_far)
        fig = map_figure(look.xy[rows], look.labels[rows], look.names, hover, rows,
                         title="PCA of the raw embeddings (provisional)")
        fig.update_layout(dragmode="pan")
        with self.slot.container():
            st.info(f"**{LABEL}.** The encoder's map replaces it when training is done.",
                    icon=":material/hourglass_top:")
            _mapchart.chart(fig, key="first_look_map")  # filled once a run, when the encoder starts training

    def clear(self) -> None:
        self.slot.empty()
