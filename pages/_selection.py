"""The map's selection, carried to the Clusters page: its rows, with a button to clear it."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from . import _state as S
from ._colour import label_names


def remember(view, rows: list[int]) -> None:
    """Keep the map's selected row ids (of this sample) for the Clusters page."""
    st.session_state[S.SELECTION] = (view.keys["sample"], [int(r) for r in rows])


def selected_rows(view) -> list[int]:
    """The remembered selection's row ids, when it was made on the texts now in view (else none)."""
    kept = st.session_state.get(S.SELECTION)
    if not (isinstance(kept, tuple) and len(kept) == 2 and kept[0] == view.keys["sample"]):
        return []
    n = len(view.corpus)
    return [r for r in kept[1] if isinstance(r, int) and 0 <= r < n]


def _clear() -> None:
    st.session_state.pop(S.SELECTION, None)


def selection_section(view) -> None:
    """"Selection (N texts)": the texts selected on the map, their clusters, and a button to clear it."""
    rows = selected_rows(view)
    if not rows:
        return
    frame = view.corpus.frame
    st.subheader(f"Selection ({len(rows):,} texts)")
    table = pd.DataFrame({"cluster": [view.name(int(c)) for c in view.labels[rows]],
                          "title": frame["title"].to_numpy()[rows], "text": frame["text"].to_numpy()[rows]})
    if view.corpus.label_col:
        names = label_names(view.corpus)
        table["label"] = [names.get(v, v) if isinstance(v, str) else v for v in frame["label"].to_numpy()[rows]]
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"text": st.column_config.TextColumn(width="large")})
    st.button("Clear the selection", icon=":material/deselect:", on_click=_clear, key="clear_selection")
