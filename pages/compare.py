"""Compare: two versions of the open project, each as computed or as edited: how the texts moved between
their clusters, how much the two agree, and the texts that changed cluster. Versions are named and
snapshots of the current edits kept here."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.clustering.compare import Side, compare, moved_texts, version_title
from core.errors import UserError, app_message
from core.plots.plots import CHART_CONFIG, confusion_figure
from core.session.session_turn import holding
from pages import _cached as cached
from pages import _state as S
from pages._common import _turn as session_turn  # the session's turn, which the other pages' views take too
from pages._common import fmt
from pages._progress import ProgressPanel, WaitingNote, begin, work_key
from pages._project import PROJECTS_PAGE, notices_and_problem
from pages._safe import plain
from pages._view import guarded

AS = {True: "as edited", False: "as computed"}

session = cached.session()
project = session.project
st.title("Compare versions")
if project is None or not project.versions:
    st.info("Open a project on the Projects page, or make a view on the Map page: its versions are compared here.")
    st.page_link(PROJECTS_PAGE, label="Projects", icon=":material/folder_open:")
    st.stop()
st.caption(f"Project **{plain(project.name)}**: each k, fraction, encoder setting or Refine on or off is a version, "
           "with its edits; a snapshot keeps a version's edits as they were. Versions of different fractions are "
           "compared on the texts they share.")
notices_and_problem()
if len(project.versions) == 1 and not project.versions[0].history:
    st.info("This project has one version, not edited yet, so both sides below are the same. Change k, the "
            "fraction, the encoder settings or Refine in the sidebar, or split, merge or rename clusters on the "
            "Clusters page: each makes something to compare.", icon=":material/compare_arrows:")


def _keep(what, message: str) -> None:
    try:
        what()
        st.session_state[S.PROJECTS_DONE] = (True, message)
    except UserError as exc:
        st.session_state[S.PROJECTS_DONE] = (False, app_message(exc))


def _name_version() -> None:
    state = st.session_state
    _keep(lambda: session.name_version(state[f"{S.VERSION_NAME}:which"], state.get(S.VERSION_NAME, "")), "Named.")


def _snapshot(vid: str) -> None:
    _keep(lambda: session.snapshot(vid, st.session_state.get(S.SNAPSHOT_NAME, "")), "Snapshot kept.")


shown_id = project.view.get("version")
versions = sorted(project.versions, key=lambda v: v.created)
titles = {v.id: version_title(v, shown_id) for v in versions}
ids = list(titles)
with st.expander("Name a version, or keep a snapshot of the current edits", icon=":material/bookmark:"):
    outcome = st.session_state.pop(S.PROJECTS_DONE, None)
    if outcome:
        (st.success if outcome[0] else st.error)(plain(outcome[1]))
    left, right = st.columns(2)
    with left:
        st.selectbox("Version", ids, ids.index(shown_id) if shown_id in ids else 0, format_func=titles.get,
                     key=f"{S.VERSION_NAME}:which")
        st.text_input("Its name", key=S.VERSION_NAME, placeholder="e.g. k=6 for the report",
                      help="Empty: the version is described by its settings again.")
        st.button("Name this version", icon=":material/label:", on_click=_name_version)
    with right:
        st.text_input("Snapshot name", key=S.SNAPSHOT_NAME, placeholder="e.g. before merging the sports clusters")
        st.button("Keep a snapshot of the current edits", icon=":material/photo_camera:", disabled=shown_id not in ids,
                  help="A copy of the version shown on the Map page, as it is now: later edits go on in that "
                       "version, and the snapshot can be compared with it.", on_click=_snapshot, args=(shown_id,))

for key, default in ((S.COMPARE_A, shown_id), (S.COMPARE_B, shown_id)):
    if st.session_state.get(key) not in ids:
        st.session_state[key] = default if default in ids else ids[-1]
first, second = st.columns(2)
a = first.selectbox("First version", ids, format_func=titles.get, key=S.COMPARE_A)
a_edited = first.radio("Its clusters", [False, True], format_func=AS.get, key=S.COMPARE_A_EDITED, horizontal=True)
b = second.selectbox("Second version", ids, format_func=titles.get, key=S.COMPARE_B)
b_edited = second.radio("Its clusters", [True, False], format_func=AS.get, key=S.COMPARE_B_EDITED, horizontal=True)

source, _ = st.session_state.get(S.CURRENT, (None, None))
if source is None or source.key != project.source.key:
    source = guarded(lambda: session.source_of(project))


def _view(vid: str, edited: bool):
    """A version's view: from the caches, else computed again with the usual progress and Cancel."""
    progress = ProgressPanel(work)
    view = session.version_view(source, vid, edited=edited, progress=progress)
    progress.clear()
    return view


work = work_key(source.run_key, f"compare {a} {b}")  # what Cancel stops
begin(work)
waiting = WaitingNote(work)
with holding(session_turn(), waiting):  # one heavy job per session (pages/_common.py)
    waiting.clear()
    va, vb = guarded(lambda: (_view(a, a_edited), _view(b, b_edited)))
side_a = Side(va.corpus.frame["id"].to_numpy(), va.labels, va.names(), f"{titles[a]} ({AS[a_edited]})")
side_b = Side(vb.corpus.frame["id"].to_numpy(), vb.labels, vb.names(), f"{titles[b]} ({AS[b_edited]})")
result = guarded(lambda: compare(side_a, side_b))

cards = st.columns(3)
cards[0].metric("ARI", fmt(result.ari), help="Adjusted Rand index between the two clusterings: 1 is the same "
                "partition, 0 what chance gives.")
cards[1].metric("NMI", fmt(result.nmi), help="Normalised mutual information between the two clusterings (0 to 1).")
cards[2].metric("Texts that stayed", f"{result.stayed:.1%}", help="The share of texts whose cluster in the second "
                "version is the one their cluster's texts mostly went to (clusters paired one to one).")
extra = (f" The first version alone has {result.only_a:,} more, the second {result.only_b:,} more (other fractions)."
         if result.only_a or result.only_b else "")
st.caption(f"Compared on the {len(result.shared):,} texts both versions hold.{extra}")

st.subheader("Where the texts went")
st.plotly_chart(confusion_figure(result.table, [side_a.names.get(int(c), str(c)) for c in result.a_ids],
                                 [side_b.names.get(int(c), str(c)) for c in result.b_ids],
                                 x_title="second version's clusters", y_title="first version's clusters"),
                width="stretch", config=CHART_CONFIG)
st.caption("Each cell counts the texts in the first version's cluster (row) and the second's (column).")

st.subheader(f"Texts that changed cluster ({int(result.moved.sum()):,})")
query = st.text_input("Search these texts", key=S.COMPARE_SEARCH, placeholder="word or phrase")
texts = pd.concat([vb.corpus.frame.set_index("id")["text"], va.corpus.frame.set_index("id")["text"]])
moved = moved_texts(result, texts[~texts.index.duplicated(keep="last")], query)
st.caption(f"{moved.attrs['total']:,} texts" + (f" hold '{plain(query)}'" if query.strip() else "") +
           (f"; the first {len(moved):,} are listed." if len(moved) < moved.attrs["total"] else "."))
st.dataframe(moved, hide_index=True, width="stretch",
             column_config={"text": st.column_config.TextColumn(width="large")})
