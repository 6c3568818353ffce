"""Data & export: what was loaded, what was dropped, and downloads of the results."""
from __future__ import annotations

import json

import streamlit as st

from core.tables.csv_export import safe_csv
from core.tables.export import clusters_document, export_name
from pages._common import page_view
from pages._safe import plain
from pages._view import guarded

view = page_view()
corpus, cfg = view.corpus, view.cfg
st.title("Data & export")
if view.source.is_demo:
    st.info("This is the bundled demo corpus: 320 short fictional news items in four topics, written for this "
            "project. It is for trying the tool, not a benchmark.")
st.markdown(f"**Source:** {plain(view.source.label)}")
n_file = corpus.n_rows or len(corpus) + corpus.n_dropped
cols = st.columns(5)
cols[0].metric("Rows in the file", f"{n_file:,}")
cols[1].metric("Texts in use", f"{len(corpus):,}", help=f"Sample fraction {cfg.data.fraction:.2f} of the rows with a "
               "text (seeded; set it in the sidebar).")
cols[2].metric("Empty texts dropped", f"{corpus.n_dropped:,}")
cols[3].metric("Texts repaired", f"{corpus.n_repaired / max(n_file, 1):.1%}",
               help=f"{corpus.n_repaired:,} of the file's texts had crawl damage repaired: HTML entities, whole or "
                    "with their '&' lost (#36; -> $, S amp;P -> S&P), HTML tags (<b>) removed, backslash line "
                    "breaks.")
cols[4].metric("Read from the embedding store", f"{view.embedded.hits:,}")
st.caption(f"Text column: {plain(corpus.text_col)}. Label column: {plain(corpus.label_col or 'none')}. "
           f"Embeddings: {cfg.embed.model} on backend {view.embedded.backend}.")
if corpus.label_col:
    st.bar_chart(corpus.frame["label"].fillna("(missing)").value_counts().sort_index())
st.dataframe(corpus.frame.head(200), hide_index=True, width="stretch")

st.subheader("Export")
st.caption("File names carry the data's name and k. Assignments list each text's cluster, the cluster's name and "
           "a confidence (0 on the border between two clusters, 1 at a centre), as the command line writes them.")
metrics = guarded(view.metrics)  # its baseline may still need computing
clusters = clusters_document(view.summaries, corpus.texts, view.names())  # the map's ids and names


def name(what: str, suffix: str) -> str:
    return export_name(corpus.source, view.k, what, suffix)


buttons = st.columns(4)
buttons[0].download_button("Assignments (CSV)", safe_csv(view.assignments()), name("assignments", "csv"),
                           "text/csv", on_click="ignore")
buttons[1].download_button("Clusters (JSON)", json.dumps(clusters, indent=2, ensure_ascii=False),
                           name("clusters", "json"), "application/json", on_click="ignore")
buttons[2].download_button("Metrics (JSON)", json.dumps(metrics, indent=2, default=str), name("metrics", "json"),
                           "application/json", on_click="ignore")
buttons[3].download_button("Encoder weights (safetensors)", view.encoder.to_bytes(), name("encoder", "safetensors"),
                           "application/octet-stream", on_click="ignore")
