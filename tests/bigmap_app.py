"""Test-only app: the real Map page over a synthetic run of ``BIGMAP_N`` points (default 200,000).

No embedding, training or projection: a seeded cloud of 8 Gaussian blobs stands in for the t-SNE
map, so the browser test measures what the issue asks, drawing and selecting many points, in
seconds. ``streamlit run tests/bigmap_app.py``; the page is ``pages/map.py`` itself, with
``pages._common.page_view`` answering the synthetic view.
"""
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
from scipy import sparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import pipeline  # noqa: E402
from core.clustering.cluster import Clustering  # noqa: E402
from core.config import DataConfig, RunConfig  # noqa: E402
from core.tables.data import Corpus  # noqa: E402
from core.naming.describe import ClusterSummary, Terms  # noqa: E402
from core.embedding.embed import EmbedResult  # noqa: E402
from core.training.encoder import Encoder  # noqa: E402
from pages import _common  # noqa: E402
from pages._sidebar import Source  # noqa: E402
from pages._view import View  # noqa: E402

K = 8


@st.cache_resource
def synthetic_view(n: int) -> View:
    """A finished run of ``n`` texts in ``K`` clusters (built once per server)."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, K, n)
    centres = rng.uniform(-40, 40, size=(K, 2)).astype(np.float32)
    xy = (centres[labels] + rng.normal(scale=6.0, size=(n, 2))).astype(np.float32)
    xy.setflags(write=False)
    words = ["markets", "football", "chips", "elections", "weather", "films", "health", "travel"]
    titles = [f"Synthetic headline {i} about {words[c]}" for i, c in enumerate(labels)]
    frame = pd.DataFrame({"id": np.arange(n), "text": [t + " and more words" for t in titles], "title": titles})
    corpus = Corpus(frame, "synthetic", "text", None, 0, n)
    cfg = RunConfig(data=DataConfig(source="synthetic", fraction=1.0)).with_(cluster={"k": K})
    scores = pipeline.Scores(0.5, 0.8, 0.4, 0.9, None, None, None)
    summaries = [ClusterSummary(c, int((labels == c).sum()), [words[c]], []) for c in range(K)]
    stage = pipeline.ClusterStage(Clustering(labels, centres, 0.0), scores, summaries)
    keys = {"read": "r", "sample": f"synthetic-{n}", "embed": f"synthetic-{n}", "train": "t", "cluster": "c",
            "project": "p"}
    embedded = EmbedResult(xy, n, 0, 0.0, "synthetic")
    terms = Terms(sparse.csr_matrix((n, 1), dtype=np.float32), np.array(["word"]))
    result = pipeline.RunResult(cfg, corpus, embedded, Encoder(), xy, stage, None, xy, terms, keys, {})
    return View(Source("synthetic", "synthetic", f"{n:,} synthetic points"), result, stage,
                baseline_of=lambda: stage, baseline_ready=lambda: stage)  # the cards' yardstick, ready


started = time.perf_counter()
view = synthetic_view(int(os.environ.get("BIGMAP_N", "200000")))
_common.page_view = lambda provisional=False: view
try:
    clusters = st.Page(str(ROOT / "pages" / "clusters.py"), title="Clusters")
    page_link = st.page_link  # the map links to "pages/clusters.py", a path from app.py, not from this file
    st.page_link = lambda page, **kw: page_link(clusters if page == "pages/clusters.py" else page, **kw)
    try:
        st.navigation([st.Page(str(ROOT / "pages" / "map.py"), title="Map", default=True), clusters]).run()
    finally:
        st.page_link = page_link
finally:  # the page ends in st.stop() when nothing is selected
    print(f"bigmap script run: {time.perf_counter() - started:.2f} s", flush=True)
