"""Data & export: what was loaded, what was dropped, and downloads of the results."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from core.csv_export import safe_csv
from pages._common import page_view
from pages._safe import plain

view = page_view()
corpus, cfg = view.corpus, view.cfg
st.title("Data & export")
if view.source.is_demo:
    st.info("This is the bundled demo corpus: 320 short fictional news items in four topics, written for this "
            "project. It is for trying the tool, not a benchmark.")
st.markdown(f"**Source:** {plain(view.source.label)}")
cols = st.columns(4)
cols[0].metric("Texts in the sample", f"{len(corpus):,}")
cols[1].metric("Sample fraction", f"{cfg.data.fraction:.0%}")
cols[2].metric("Empty texts dropped", f"{corpus.n_dropped:,}")
cols[3].metric("Read from the embedding store", f"{view.embedded.hits:,}")
st.caption(f"Text column: {plain(corpus.text_col)}. Label column: {plain(corpus.label_col or 'none')}. "
           f"Embeddings: {cfg.embed.model} on backend {view.embedded.backend}.")
if corpus.label_col:
    st.bar_chart(corpus.frame["label"].fillna("(missing)").value_counts().sort_index())
st.dataframe(corpus.frame.head(200), hide_index=True, width="stretch")

st.subheader("Export")
assignments = pd.DataFrame({"id": corpus.frame["id"], "text": corpus.frame["text"], "cluster": view.labels})
if view.xy is not None:
    assignments["x"], assignments["y"] = view.xy[:, 0], view.xy[:, 1]
if corpus.label_col:
    assignments["label"] = corpus.frame["label"]
metrics = view.metrics()
left, middle, right = st.columns(3)
left.download_button("Assignments (CSV)", safe_csv(assignments), "assignments.csv", "text/csv")
middle.download_button("Metrics (JSON)", json.dumps(metrics, indent=2, default=str), "metrics.json",
                       "application/json")
right.download_button("Encoder weights (safetensors)", view.encoder.to_bytes(), "encoder.safetensors",
                      "application/octet-stream")
