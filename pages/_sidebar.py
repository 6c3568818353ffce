"""The shared sidebar: data source and every setting, turned into a ``Source`` and a ``RunConfig``."""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

import pandas as pd
import streamlit as st

from core.clustering import cluster_stage
from core.projection import project as projections
from core.config import (DEFAULT_SOURCE, DEMO_SOURCE, ClusterConfig, DataConfig, EmbedConfig, EncoderConfig,
                         ProjectConfig, RefineConfig, RunConfig)
from core.embedding.embedders import DEFAULT_EMBEDDER, EMBEDDERS
from core.errors import UserError, app_message
from core.limits import Limits
from core.training.objectives import OBJECTIVES
from core.pipeline import source_key
from core.storage.projects import Project
from core.session.view import DataSource

from . import _cached as cached
from . import _embeddings_upload as embeddings_upload
from . import _link as link
from . import _project as opened
from ._colour import column_controls
from ._k import k_widgets
from . import _state as S
from ._safe import plain

HUB = "AG News from the Hugging Face hub"
UPLOAD = "Upload a file"
DEMO = "Demo corpus (bundled, fictional)"
SERVER = "A file on the server"
ALLOW_SERVER_PATHS = "CLUSTERLENS_ALLOW_SERVER_PATHS"  # operators may allow reading server paths


Source = DataSource  # what the sidebar resolves: the data, ready for core


def launch_args() -> argparse.Namespace:
    """``streamlit run app.py -- --data SOURCE [--text-col C] [--label-col C] [--fraction F]``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data")
    parser.add_argument("--text-col")
    parser.add_argument("--label-col")
    parser.add_argument("--fraction", type=float)
    return parser.parse_known_args(sys.argv[1:])[0]


def _server_paths_allowed() -> bool:
    return os.environ.get(ALLOW_SERVER_PATHS, "").lower() in {"1", "true", "yes"}


def _columns_picker(columns: list[str]) -> tuple[tuple[str, ...] | None, str | None]:
    """The text column(s) (several are joined, e.g. headline + body) and the label column; empty: detect."""
    auto = "(detect)"
    text = st.multiselect("Text column(s)", columns, key=S.TEXT_COL, placeholder="(detect)",
                          help="Empty: detected from common names (text; title or headline joined with body, "
                               "description or content; sentence, question, review ...). Pick several to join them.")
    label = st.selectbox("Label column (optional, for scoring only)", [auto, *columns], key=S.LABEL_COL,
                         help="Detected: 'label', 'category', 'class', 'topic', 'intent' ... Labels never train "
                              "anything.")
    return (tuple(text) or None), (None if label == auto else label)


def _why_offline(problem: str | None) -> str:
    """The first clause of the hub's problem ("the Hugging Face hub (...) is unreachable ...")."""
    return (problem or "the hub could not be reached").split(";")[0].strip()


def _cli_option(args: argparse.Namespace) -> str | None:
    return f"From the command line: {args.data}" if args.data else None


def project_option(project: Project, args: argparse.Namespace | None = None) -> str:
    """The data source radio's option for ``project``'s data: the demo, the hub, the command line's
    source when it is that data, else the project's own copy (an upload, a file; no new upload)."""
    args = args or launch_args()
    src = project.source
    if src.kind == "demo":
        return DEMO
    if src.key == DEFAULT_SOURCE:
        return HUB
    if args.data and source_key(args.data) == src.key:
        return _cli_option(args)
    return opened.PROJECT_FILE


def choose_source(args: argparse.Namespace, limits: Limits) -> Source | None:
    """The data-source part of the sidebar. Returns None while an upload is awaited or unreadable.

    The radio names what is loaded: when the hub file cannot be fetched, its option says the demo
    corpus is shown instead, with the reason in one line and a retry button under it. While a project
    of an upload (or of a file the radio does not offer) is open, an option reads the project's copy."""
    project = cached.session().project
    own = project is not None and project_option(project, args) == opened.PROJECT_FILE
    options = ([_cli_option(args)] if args.data else []) + [HUB, UPLOAD, DEMO]
    options += [SERVER] if _server_paths_allowed() else []
    options += [opened.PROJECT_FILE] if own else []
    if st.session_state.get(S.SOURCE, options[0]) not in options:  # that project was closed
        st.session_state[S.SOURCE] = options[0]
    current = st.session_state.get(S.SOURCE, options[0])
    hub_path, problem = cached.hub_file(DEFAULT_SOURCE) if current == HUB else (None, None)
    offline = current == HUB and hub_path is None
    shown = {HUB: "Demo corpus (the AG News hub file is unavailable)"} if offline else {}
    if args.data:  # a path is text, not Markdown
        shown[options[0]] = f"From the command line: {plain(args.data)}"
    if own:
        shown[opened.PROJECT_FILE] = f"This project's file: {plain(project.source.name)}"
    choice = st.radio("Data", options, key=S.SOURCE, format_func=lambda o: shown.get(o, o))
    if choice == HUB:
        if offline:
            st.caption(f"{plain(_why_offline(problem))}.")
            if st.button("Retry the hub", icon=":material/refresh:"):
                cached.hub_file.clear()
                st.rerun()
            return Source(DEMO_SOURCE, DEMO_SOURCE, DEMO, is_demo=True, kind="demo")
        # the address, not the local copy: read from the hub's cache, named as the CLI names it (metrics.json)
        return Source(DEFAULT_SOURCE, DEFAULT_SOURCE, "AG News (Zhouhc/attack-agnews, agnews_train.csv)", kind="hub")
    if choice == DEMO:
        return Source(DEMO_SOURCE, DEMO_SOURCE, DEMO, is_demo=True, kind="demo")
    if choice == UPLOAD:
        upload = st.file_uploader("CSV, TSV, Parquet or JSONL", type=["csv", "tsv", "parquet", "jsonl"],
                                  key=S.UPLOAD, help="Kept, compressed, with its project on this server (so the project reopens without it); deleting the project on the Projects page deletes it.")
        if upload is None:
            link.upload_again()
            return None
        limit_mb = st.get_option("server.maxUploadSize")
        if upload.size > limit_mb * 1024 * 1024:  # the browser enforces it too; a direct request may not
            st.error(f"{plain(upload.name)} is over the upload limit of {limit_mb} MB; sample it down first.")
            return None
        try:
            data = upload.getvalue()
            digest, table = cached.bench().upload_table(data, upload.name, limits)
            limits.check_upload(len(table), upload.name)
        except UserError as exc:
            st.error(plain(app_message(exc)))
            return None
        text_col, label_col = _columns_picker(list(map(str, table.columns)))
        named = table.copy(deep=False)  # the cached table is shared: name a shallow copy
        named.attrs["name"] = upload.name  # the corpus's source name (metrics.json, export file names)
        return Source(f"upload:{digest}:{upload.name}", named, upload.name, text_col, label_col, n_rows=len(table),
                      kind="upload", data=data)
    if choice == opened.PROJECT_FILE and project is not None:
        return _project_file(project)
    if choice == SERVER:
        path = st.text_input("Path on the server", key=S.SERVER_PATH)
        return Source(source_key(path), path, path) if path else None
    return Source(source_key(args.data), args.data, args.data, args.text_col, args.label_col,
                  is_demo=args.data == DEMO_SOURCE, kind=_kind(args.data))


def _project_file(project: Project) -> Source | None:
    """The open project's own data (an upload's kept copy): no new upload; its columns can be changed.
    Read once per session and project (a project's data never changes)."""
    held = st.session_state.get(S.PROJECT_SOURCE)
    if isinstance(held, tuple) and held[0] == project.id:
        source = held[1]
    else:
        try:
            source = cached.session().source_of(project)
        except UserError as exc:
            st.error(plain(app_message(exc)))
            return None
        st.session_state[S.PROJECT_SOURCE] = (project.id, source)
    if source.kind == "path" and source_key(source.label) != source.key:
        st.caption(f"{plain(source.label)} has changed since this project was made; its results are of the "
                   "file as it was read then, where they are cached.")
    if not isinstance(source.value, pd.DataFrame):
        return source
    text_col, label_col = _columns_picker(list(map(str, source.value.columns)))
    return replace(source, text_col=text_col, label_col=label_col)


def _with_own_vectors(source: Source | None) -> Source | None:
    """``source`` with the open project's own vectors when it is that project's data (an imported
    project: its texts are not embedded again, ``core.embedding.kept_vectors``)."""
    project = cached.session().project
    if source is None or project is None or project.source.key != source.key or source.kept is not None:
        return source
    try:
        kept = cached.bench().kept_vectors(cached.session().store, project.id)
    except UserError:
        return source
    return source if kept is None else replace(source, kept=kept)


def _kind(source: str) -> str:
    """How a project names a source given by name (``core.storage.projects.Source.kind``)."""
    return "demo" if source == DEMO_SOURCE else "hub" if source.startswith("hf://") else "path"


def _default_fraction(source: Source | None, args: argparse.Namespace, limits: Limits) -> float:
    """All of an upload up to the comfortable size; all of the demo; else ``--fraction`` or the paper's 10%."""
    if source is not None and source.is_demo:
        return 1.0
    if source is not None and source.n_rows is not None:
        return limits.default_fraction(source.n_rows)
    return args.fraction if args.fraction else DataConfig.fraction


def settings(source: Source | None, args: argparse.Namespace, limits: Limits) -> RunConfig:
    """The method's settings. The default fraction: see :func:`_default_fraction`; each source keeps its own."""
    default_fraction = _default_fraction(source, args, limits)
    link.fraction_from_link(f"{S.FRACTION}:{source.key if source else ''}", source.label if source else None)
    fraction = st.slider("Sample fraction", 0.01, 1.0, default_fraction, 0.01,
                         key=f"{S.FRACTION}:{source.key if source else ''}",
                         help="Share of the file's rows in use (seeded; a smaller sample is part of a larger one).")
    if source is not None and source.n_rows and default_fraction < 1:
        st.caption(f"The file has {source.n_rows:,} rows; the default fraction keeps about {limits.comfortable:,}, "
                   f"a size this server handles in a few minutes. Raise it to use more (up to {limits.max_run:,}).")
    k = k_widgets(source)  # a slider and a number box, 2..min(200, n/5); a new source starts at a suggested k
    drawn = {p.label: p for p in projections.drawn()}
    projection = st.radio("Map", list(drawn), horizontal=True, key=S.PROJECTION,
                          help=" ".join(f"{p.label}: {p.help}" for p in drawn.values()))
    embedder = _embedder_choice()
    static = embedder == "static"  # a table of token vectors: no layers to fine-tune
    if static:
        st.session_state[S.REFINE] = False  # not left on to restart minutes of work when the full model is back
    refine = st.toggle("Refine embeddings", key=S.REFINE, disabled=static,
                       help="Fine-tunes the top layers of the sentence model on these texts (no labels: it learns "
                            "from the clusters' most typical texts), then embeds, trains and clusters again. It takes "
                            "minutes and runs in the background; the map stays usable meanwhile."
                            + (" The static embedder has no layers to fine-tune: choose the full model to refine."
                               if static else "")) and not static
    method, objective, hidden, latent, epochs, seed = _encoder_settings()
    text_col = source.text_col if source else None
    label_col = source.label_col if source else None
    return RunConfig(
        data=DataConfig(source=source.key if source else DEFAULT_SOURCE, text_col=text_col, label_col=label_col,
                        fraction=float(fraction)),
        embed=EmbedConfig(model=EMBEDDERS[embedder].model),
        encoder=EncoderConfig(hidden=int(hidden), latent=int(latent), objective=objective, epochs=int(epochs)),
        cluster=ClusterConfig(k=int(k), method=method),
        project=ProjectConfig(method=drawn[projection].name),
        refine=RefineConfig(enabled=bool(refine)), seed=int(seed))


def _embedder_choice() -> str:
    """The "Embedder" radio: a name of ``core.embedding.embedders.EMBEDDERS``, each option with its trade-off line."""
    names = list(EMBEDDERS)
    if st.session_state.get(S.EMBEDDER) not in names:  # a stale or foreign value: the default
        st.session_state[S.EMBEDDER] = DEFAULT_EMBEDDER
    return st.radio("Embedder", names, key=S.EMBEDDER, format_func=lambda name: EMBEDDERS[name].label,
                    captions=[EMBEDDERS[name].help for name in names],
                    help="What turns each text into a vector. The full model's vectors are kept in the store, "
                         "so switching back to it does not embed the texts again.")


#: the "Encoder and seed" widgets' keys and defaults (the widgets' own, and what a closed expander reads)
ENCODER_DEFAULTS = {S.CLUSTER_METHOD: ClusterConfig.method, S.OBJECTIVE: EncoderConfig.objective,
                    S.HIDDEN: EncoderConfig.hidden, S.LATENT: EncoderConfig.latent,
                    S.EPOCHS: EncoderConfig.epochs, S.SEED: RunConfig.seed}


def _encoder_settings() -> tuple[str, str, int, int, int, int]:
    """(cluster method, objective, hidden, latent, epochs, seed) from the "Encoder and seed" expander.

    Its widgets are drawn only while it is open: the first page of every visit would otherwise load and
    lay out two select boxes, two number inputs and two sliders that few users open, before the map
    (docs/benchmarks.md measures what that costs a reopen). Closed, the values are those last
    set (``persist_state="session"``: without it Streamlit drops the value of a widget a run does not
    draw), a link's, or the defaults.
    """
    encoder = st.expander("Encoder and seed", key=S.ENCODER_OPEN, on_change="rerun")
    if not encoder.open:
        state = st.session_state
        return tuple(state.get(key, default) for key, default in ENCODER_DEFAULTS.items())  # type: ignore[return-value]
    with encoder:
        objectives = list(OBJECTIVES)
        methods = cluster_stage.METHODS
        method = st.selectbox("Clusters", list(methods), format_func=lambda name: methods[name].label,
                              key=S.CLUSTER_METHOD, persist_state="session",
                              help=" ".join(m.help for m in methods.values()))
        objective = st.selectbox("Training objective", objectives,
                                 index=objectives.index(ENCODER_DEFAULTS[S.OBJECTIVE]),
                                 key=S.OBJECTIVE, help="'autoencoder' is the paper's method.", persist_state="session")
        hidden = st.select_slider("Hidden size", [32, 64, 128, 256, 512], ENCODER_DEFAULTS[S.HIDDEN], key=S.HIDDEN,
                                  persist_state="session")
        latent = st.slider("Latent size", 2, 128, ENCODER_DEFAULTS[S.LATENT], key=S.LATENT, persist_state="session")
        epochs = st.number_input("Training epochs", 1, 500, ENCODER_DEFAULTS[S.EPOCHS], key=S.EPOCHS,
                                 persist_state="session")
        seed = st.number_input("Seed", 0, 2**31 - 1, ENCODER_DEFAULTS[S.SEED], key=S.SEED, persist_state="session")
    return method, objective, hidden, latent, epochs, seed


def rows_in_use(source: Source, cfg: RunConfig, limits: Limits) -> str | None:
    """"N rows in the file, M in use (fraction F)" and the columns used, under the settings; stops the app
    with a message naming the slider when the sample is over the run limit. The corpus comes from the
    same cache the pages read, so this costs nothing extra; a problem with it is left to the page.
    Returns the over-the-limit message, or None."""
    try:
        _, corpus = cached.bench().corpus(source, cfg)
    except Exception:  # the page shows the problem, with its message
        return None
    n_file = corpus.n_rows or len(corpus) + corpus.n_dropped
    detected = " (detected)" if not cfg.data.text_col else ""
    labels = (f"labels: {plain(corpus.label_col)}" + (" (detected)" if not cfg.data.label_col else "")
              if corpus.label_col else "no label column")
    st.caption(f"{n_file:,} rows in the file, {len(corpus):,} in use (fraction {cfg.data.fraction:.2f}) · "
               f"text: {plain(corpus.text_col)}{detected} · {labels}")
    try:
        limits.check_run(len(corpus))
    except UserError as exc:
        return app_message(exc)
    return None


def sidebar() -> tuple[Source | None, RunConfig]:
    args = launch_args()
    limits = Limits.from_env()
    # a link's (or a reload's) settings and project, before the widgets
    link.read_once(demo=DEMO, hub=HUB, upload=UPLOAD,
                   open_project=lambda pid: opened.open_project(pid, project_option))
    with st.sidebar:
        opened.badge_slot()  # the open project's name (filled again once the page has made its view)
        source = _with_own_vectors(choose_source(args, limits))
        own_vectors = embeddings_upload.uploader()  # optional: bring your own embeddings
        cfg = settings(source, args, limits)
        column_controls(source, cfg)  # "Show only" and label names, for any column of the file
        link.offer(source, cfg, cached.session().project)  # the URL follows the settings; the link to copy
        over = rows_in_use(source, cfg, limits) if source is not None else None
        source = embeddings_upload.attach(own_vectors, source, cfg)
    st.session_state[S.CURRENT] = (source, cfg)
    if over:  # no page runs: it would start the work the limit forbids
        st.error(plain(over), icon=":material/block:")
        st.stop()
    return source, cfg
