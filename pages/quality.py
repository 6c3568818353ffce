"""Quality: the training loss, a k sweep on the current latent space, and clusters against labels."""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.cluster import confusion
from core.plots import CHART_CONFIG, confusion_figure, loss_figure, sweep_figure
from pages import _cached as cached
from pages._common import fmt, page_view
from pages._view import baseline, guarded

view = page_view()
st.title("Quality")
st.markdown(
    "**How the clusters are made.** By default, K-Means runs on the sentence embeddings and its partition is "
    "then refined with a second view of the texts, their words: a text moves to another cluster only when most "
    "of its nearest neighbours clearly lie there *and* a word classifier that never saw that text's own cluster "
    "agrees. Small corpora, where neither view can say enough, keep the K-Means clusters, so the default is "
    "never far below plain K-Means. The map and the latent-space scores come from the encoder, trained on the "
    "embeddings' neighbours. *Clusters* under *Encoder and seed* in the sidebar switches to the paper's method, "
    "K-Means on the encoder's latent space.")
st.markdown(
    "**Refine embeddings** (sidebar, off by default) goes further: it fine-tunes the top layers of the sentence "
    "model itself on these texts, learning from each cluster's most typical texts (no labels), then embeds and "
    "trains again and redraws the borders of the same clusters in the refined space. It takes minutes, runs in "
    "the background while the map stays usable, and the Map page then shows the scores without and with it. The "
    "cards still compare with K-Means on the original embeddings. It learns from the clusters it starts from, so "
    "it sharpens good clusters more than it repairs poor ones; on a few hundred texts it gains little and can "
    "move a few texts the wrong way: it is worth its minutes on a thousand texts or more.")

st.subheader("Training loss")
st.caption(f"Objective '{view.cfg.encoder.objective}', {len(view.encoder.loss_history_)} epochs, "
           f"trained on {view.encoder.device_}.")
st.plotly_chart(loss_figure(view.encoder.loss_history_), width="stretch", config=CHART_CONFIG)

st.subheader("How many clusters?")
sweep = guarded(lambda: cached.session().k_sweep(view))
if sweep["k"]:
    sils = [s if s is not None else np.nan for s in sweep["silhouette"]]
    suggested = int(sweep["k"][int(np.nanargmax(sils))]) if not np.all(np.isnan(sils)) else None
    has_labels = view.corpus.label_col is not None
    n_labels = int(view.corpus.frame["label"].nunique()) if has_labels else None
    st.plotly_chart(sweep_figure(sweep["k"], sweep["silhouette"], sweep["davies_bouldin"], suggested,
                                 acc=sweep.get("acc") if has_labels else None,
                                 nmi=sweep.get("nmi") if has_labels else None, n_labels=n_labels),
                    width="stretch", config=CHART_CONFIG)
    why = ("Silhouette favours coarse splits: it rewards a few well-separated groups, so its best k is often "
           "below the number of topics a reader would name. Take it as a lower bound, and look for the k whose "
           "clusters read well on the Clusters page.")
    if has_labels:
        accs = [a if a is not None else np.nan for a in sweep.get("acc", [])]
        best_acc = int(sweep["k"][int(np.nanargmax(accs))]) if accs and not np.all(np.isnan(accs)) else None
        why += (f" Against the {n_labels} labels, ACC is highest at k = {best_acc} (labels only evaluate; they "
                "choose nothing)." if best_acc is not None else "")
    how = ("K-Means on the embeddings refined by the texts' words, scored in the latent space"
           if view.cfg.cluster.method == "coview" else "K-Means on the latent vectors")
    st.caption(f"{how}, for k = {sweep['k'][0]}..{sweep['k'][-1]}: the same clusterings "
               f"as the map's at each k ({view.cfg.cluster.n_init} restarts; silhouette on a seeded sample of up to "
               f"{view.cfg.cluster.silhouette_sample:,} points). The highest silhouette is at k = {suggested}; "
               f"the current k is {view.k}. {why}")
else:
    st.info("Too few texts for a k sweep.")

st.subheader("Clusters against labels")
if view.corpus.label_col:
    truth = view.corpus.frame["label"].fillna("(missing)").astype(str).to_numpy()
    table, clusters, classes = confusion(truth, view.labels)
    st.plotly_chart(confusion_figure(table, [view.name(int(c)) for c in clusters], [str(c) for c in classes]),
                    width="stretch", config=CHART_CONFIG)
    s, b = view.clusters.scores, baseline(view).scores
    st.caption(f"ACC {fmt(s.acc)} · NMI {fmt(s.nmi)} · ARI {fmt(s.ari)} "
               f"(K-Means on the raw embeddings: ACC {fmt(b.acc)} · NMI {fmt(b.nmi)} · ARI {fmt(b.ari)}).")
else:
    st.info("This data has no label column, so there is nothing to compare the clusters with.")
