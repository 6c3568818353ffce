"""Quality: the training loss, a k sweep on the current latent space, and clusters against labels."""
from __future__ import annotations

import time

import streamlit as st

from core.plots import CHART_CONFIG, confusion_figure, loss_figure, sweep_figure
from pages import _cached as cached
from pages import _state as S
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
SCORED = ("silhouette", "davies_bouldin", "acc", "nmi")


def sweep_section() -> None:
    """The sweep, drawn as it fills in (one clustering per k, the map's own), with its suggestion."""
    plan = view.sweep_plan(extended=st.session_state.get(S.SWEEP_FURTHER) == view.keys["sample"])
    top, ks = plan.top, plan.ks
    has_labels = view.corpus.label_col is not None
    n_labels = int(view.corpus.frame["label"].nunique()) if has_labels else None
    chart, bar = st.empty(), st.progress(0.0, text=f"Clustering at k = {ks[0]} ...")
    done: dict[str, list] = {"k": [], **{name: [] for name in SCORED}}
    steps = guarded(lambda: cached.session().k_sweep_steps(view, ks))
    started, computed = time.perf_counter(), 0
    while True:
        before = time.perf_counter()
        step = guarded(lambda: next(steps, None))
        if step is None:
            break
        k, scores = step
        computed += time.perf_counter() - before > 0.05  # not read from the cache
        done["k"].append(k)
        for name in SCORED:
            done[name].append(scores[name])
        if len(done["k"]) < len(ks):
            bar.progress(len(done["k"]) / len(ks), text=f"{len(done['k'])} of {len(ks)} ks clustered (k = {k}); "
                                                        f"{time.perf_counter() - started:.0f} s so far ...")
        chart.plotly_chart(_figure(done, has_labels, n_labels, None), width="stretch", config=CHART_CONFIG,
                           key=f"sweep_{len(done['k'])}")
    bar.empty()
    if not done["k"]:
        chart.info("Too few texts for a k sweep.")
        return
    picked = plan.pick(done["k"], done["silhouette"], what="silhouette (latent space)")
    chart.plotly_chart(_figure(done, has_labels, n_labels, picked.k if picked else None), width="stretch",
                       config=CHART_CONFIG, key="sweep_done")
    why = ("Silhouette favours coarse splits: it rewards a few well-separated groups, so its best k is often "
           "below the number of topics a reader would name. Take it as a lower bound, and look for the k whose "
           "clusters read well on the Clusters page.")
    if has_labels:
        best_acc = plan.pick(done["k"], done["acc"], what="ACC")
        why += (f" Against the {n_labels} labels, ACC is highest at k = {best_acc.k} (labels only evaluate; they "
                "choose nothing)." if best_acc is not None else "")
    st.caption(f"{view.cluster_method.describes}, for k = {_runs(done['k'])}: the same clusterings as the map's at "
               f"each k (K-Means {view.restarts()}; silhouette on a seeded sample of up to "
               f"{view.cfg.cluster.silhouette_sample:,} points). Suggested: k = {picked.k if picked else 'n/a'}, "
               f"{picked.reason if picked else ''}. The current k is {view.k}. {why}")
    further = [k for k in plan.extended if k not in done["k"]]
    if further:
        per_k = (time.perf_counter() - started) / max(computed, 1) if computed else None
        cost = f" (each k is a full clustering: about {per_k:.0f} s each here, more for larger k)" if per_k else ""
        st.caption(f"The slider goes to k = {top}; the sweep covers k = 2..{plan.dense_top}{cost}.")
        if st.button(f"Sweep further: k = {further[0]} to {further[-1]} ({len(further)} more)",
                     icon=":material/trending_up:"):
            st.session_state[S.SWEEP_FURTHER] = view.keys["sample"]
            st.rerun()


def _runs(ks: list[int]) -> str:
    """"2..20, 25, 30, 77": runs of consecutive ks joined."""
    parts, start = [], 0
    for i in range(1, len(ks) + 1):
        if i == len(ks) or ks[i] != ks[i - 1] + 1:
            parts.append(str(ks[start]) if i - start < 3 else f"{ks[start]}..{ks[i - 1]}")
            if i - start == 2:
                parts.append(str(ks[i - 1]))
            start = i
    return ", ".join(parts)


def _figure(done: dict, has_labels: bool, n_labels: int | None, suggested: int | None):
    return sweep_figure(done["k"], done["silhouette"], done["davies_bouldin"], suggested,
                        acc=done["acc"] if has_labels else None, nmi=done["nmi"] if has_labels else None,
                        n_labels=n_labels)


sweep_section()

st.subheader("Clusters against labels")
if view.corpus.label_col:
    table, clusters, classes = view.confusion()  # the labels in natural order: "2" before "10"
    st.plotly_chart(confusion_figure(table, [view.name(int(c)) for c in clusters], [str(c) for c in classes]),
                    width="stretch", config=CHART_CONFIG)
    s, b = view.clusters.scores, baseline(view).scores
    st.caption(f"ACC {fmt(s.acc)} · NMI {fmt(s.nmi)} · ARI {fmt(s.ari)} "
               f"(K-Means on the raw embeddings: ACC {fmt(b.acc)} · NMI {fmt(b.nmi)} · ARI {fmt(b.ari)}).")
else:
    st.info("This data has no label column, so there is nothing to compare the clusters with.")
