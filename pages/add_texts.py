"""Add texts: new texts (a file, or typed) given the clusters shown (after edits, with the user's names),
each with a confidence and a place on the map among the texts it resembles; those below a threshold are
listed together as a candidate new cluster. The assigning is the session's (``core.clustering.assign``)."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from core.tables.csv_export import safe_csv
from core.errors import UserError, app_message
from core.tables.export import export_name
from core.limits import Limits
from core.plots.plots import map_figure
from core.session.session_turn import holding
from pages import _cached as cached
from pages import _mapchart
from pages import _state as S
from pages._common import _turn as session_turn  # the session's turn, which the other pages' views take too
from pages._common import page_view
from pages._progress import WaitingNote, begin
from pages._safe import plain
from pages._view import guarded

FROM_FILE, TYPED = "A file", "Typed or pasted"
DEFAULT_THRESHOLD = 0.5

view = page_view()
st.title("Add texts")
st.caption(f"New texts take the {view.k} clusters shown now (edits and names included): each gets the cluster "
           "its nearest texts of this run vote for, a confidence (the share of that vote, lowered for a text far "
           "from all of them) and a place on the map among the texts it resembles; the map's old points do not "
           "move. Nothing is added to the project.")
where = st.radio("New texts from", [FROM_FILE, TYPED], horizontal=True, key=S.ADD_FROM)
table, text_col, name = None, None, "typed texts"
if where == FROM_FILE:
    upload = st.file_uploader("CSV, TSV, Parquet or JSONL of new texts", type=["csv", "tsv", "parquet", "jsonl"],
                              key=S.ADD_FILE)
    if upload is not None:
        _, table = guarded(lambda: cached.bench().upload_table(upload.getvalue(), upload.name))
        guarded(lambda: Limits.from_env().check_upload(len(table), upload.name))
        name = upload.name
        chosen = st.multiselect("Text column(s)", list(map(str, table.columns)), key=S.ADD_TEXT_COL,
                                placeholder="(as the project's, else detected)")
        text_col = tuple(chosen) or None
else:
    typed = st.text_area("One text per line", key=S.ADD_TYPED, height=150)
    lines = [line for line in typed.splitlines() if line.strip()]
    if lines:
        table, text_col = pd.DataFrame({"text": lines}), "text"
threshold = st.slider("Fit no cluster below confidence", 0.0, 1.0, DEFAULT_THRESHOLD, 0.05, key=S.ADD_THRESHOLD,
                      help="Texts whose confidence is lower are listed together below: a candidate new cluster.")
if table is None:
    st.info("Upload a file of new texts, or type some, to see where they belong.")
    st.stop()

digest = hashlib.sha256(pd.util.hash_pandas_object(table.astype(str), index=False).values.tobytes()).hexdigest()
wanted = (view.keys["cluster"], hashlib.sha256(view.labels.tobytes()).hexdigest(), tuple(sorted(view.names().items())),
          digest, text_col)  # the clusters shown, their names, and the new texts
done = st.session_state.get(S.ADD_RESULT)
if not (isinstance(done, tuple) and done[0] == wanted):
    work = f"add-texts-{digest[:12]}"
    begin(work)
    waiting = WaitingNote(work)
    with holding(session_turn(), waiting), st.spinner(f"Embedding and assigning {len(table):,} texts ..."):
        waiting.clear()
        done = (wanted, *guarded(lambda: cached.session().assign_table(view, table, text_col)))
    st.session_state[S.ADD_RESULT] = done
_, rows_out, assigned, rows = done

try:
    unsure = assigned.candidates(threshold)
except UserError as exc:
    st.error(plain(app_message(exc)))
    st.stop()
texts = rows_out.iloc[rows]
st.subheader(f"{len(assigned):,} new texts")
counts = pd.Series(assigned.names).value_counts()
st.caption(" · ".join(f"{plain(n)}: {c:,}" for n, c in counts.items()) +
           (f" · {len(table) - len(rows):,} rows without text left out" if len(rows) < len(table) else ""))

if view.xy is not None and np.isfinite(assigned.xy).all():
    old = len(view.labels)
    xy = np.vstack([view.xy, assigned.xy])
    groups = np.concatenate([view.labels, assigned.clusters])
    new = np.arange(old, old + len(assigned))
    shown_cols = list(text_col) if isinstance(text_col, tuple) else [text_col] if text_col else \
        [c for c in table.columns if table[c].dtype == object][:1]
    new_hover = texts[shown_cols].astype(str).agg(" ".join, axis=1).str.slice(0, 160) if shown_cols else \
        pd.Series([""] * len(texts))
    hover = view.corpus.frame["title"].astype(str).tolist() + [f"NEW: {t}" for t in new_hover]
    highlight = np.zeros(len(xy), dtype=bool)
    highlight[new] = True
    fig = map_figure(xy, groups, view.names(), hover, np.concatenate([np.arange(old), -1 - np.arange(len(new))]),
                     highlight=highlight, title="The new texts (large points) on the map, in their clusters' colours")
    _mapchart.chart(fig, key=S.ADD_MAP)

st.dataframe(texts, hide_index=True, width="stretch",
             column_config={"confidence": st.column_config.NumberColumn(format="%.2f")})
st.download_button("Download the new texts with their clusters (CSV)", safe_csv(rows_out),
                   export_name(name, view.k, "assigned", "csv"), "text/csv", icon=":material/download:",
                   on_click="ignore")

st.subheader(f"Texts that fit no cluster ({len(unsure):,})")
if len(unsure):
    st.caption(f"Confidence below {threshold:.2f}: their nearest texts of this run disagree or lie far away. "
               "Together they may be a cluster the run does not have yet.")
    st.dataframe(texts.iloc[unsure].sort_values("confidence"), hide_index=True, width="stretch",
                 column_config={"confidence": st.column_config.NumberColumn(format="%.2f")})
else:
    st.caption(f"Every new text has a confidence of at least {threshold:.2f}.")
