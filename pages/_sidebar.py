"""The shared sidebar: data source and every setting, turned into a ``Source`` and a ``RunConfig``."""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.config import (DEFAULT_SOURCE, DEMO_SOURCE, ClusterConfig, DataConfig, EmbedConfig, EncoderConfig,
                         ProjectConfig, RunConfig)
from core.errors import UserError
from core.objectives import DEFAULT_OBJECTIVE, OBJECTIVES
from core.pipeline import source_key

from . import _cached as cached
from . import _state as S
from ._safe import plain

HUB = "AG News from the Hugging Face hub"
UPLOAD = "Upload a file"
DEMO = "Demo corpus (bundled, fictional)"
SERVER = "A file on the server"
ALLOW_SERVER_PATHS = "CLUSTERLENS_ALLOW_SERVER_PATHS"  # operators may allow reading server paths


@dataclass(frozen=True)
class Source:
    """A data source ready for ``core``: ``value`` is a path/address or an uploaded table."""

    key: str
    value: str | pd.DataFrame
    label: str
    text_col: str | None = None
    label_col: str | None = None
    is_demo: bool = False


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


def _columns_picker(columns: list[str]) -> tuple[str | None, str | None]:
    auto = "(detect)"
    text = st.selectbox("Text column", [auto, *columns], key=S.TEXT_COL,
                        help="Detected: 'text', else 'title' + 'description'.")
    label = st.selectbox("Label column (optional, for scoring only)", [auto, *columns], key=S.LABEL_COL,
                         help="Detected: 'label' if present. Labels never train anything.")
    return (None if text == auto else text), (None if label == auto else label)


def _hub_source(args: argparse.Namespace) -> Source:
    path, problem = cached.hub_file(DEFAULT_SOURCE)
    if path is None:
        st.warning(f"{plain(problem)}. Showing the bundled demo corpus instead.", icon=":material/cloud_off:")
        if st.button("Try the hub again"):
            cached.hub_file.clear()
            st.rerun()
        return Source(DEMO_SOURCE, DEMO_SOURCE, DEMO, is_demo=True)
    return Source(DEFAULT_SOURCE, path, "AG News (Zhouhc/attack-agnews, agnews_train.csv)")


def choose_source(args: argparse.Namespace) -> Source | None:
    """The data-source part of the sidebar. Returns None while an upload is awaited or unreadable."""
    options = ([f"From the command line: {args.data}"] if args.data else []) + [HUB, UPLOAD, DEMO]
    options += [SERVER] if _server_paths_allowed() else []
    choice = st.radio("Data", options, key=S.SOURCE)
    if choice == HUB:
        return _hub_source(args)
    if choice == DEMO:
        return Source(DEMO_SOURCE, DEMO_SOURCE, DEMO, is_demo=True)
    if choice == UPLOAD:
        upload = st.file_uploader("CSV, TSV, Parquet or JSONL", type=["csv", "tsv", "parquet", "jsonl"],
                                  key=S.UPLOAD, help="Read in memory only; never stored on the server.")
        if upload is None:
            return None
        limit_mb = st.get_option("server.maxUploadSize")
        if upload.size > limit_mb * 1024 * 1024:  # the browser enforces it too; a direct request may not
            st.error(f"{plain(upload.name)} is over the upload limit of {limit_mb} MB; sample it down first.")
            return None
        try:
            digest, table = cached.upload_table(upload.getvalue(), upload.name)
        except UserError as exc:
            st.error(plain(exc))
            return None
        text_col, label_col = _columns_picker(list(map(str, table.columns)))
        return Source(f"upload:{digest}", table, upload.name, text_col, label_col)
    if choice == SERVER:
        path = st.text_input("Path on the server", key=S.SERVER_PATH)
        return Source(source_key(path), path, path) if path else None
    return Source(source_key(args.data), args.data, args.data, args.text_col, args.label_col,
                  is_demo=args.data == DEMO_SOURCE)


def settings(source: Source | None, args: argparse.Namespace) -> RunConfig:
    """The method's settings. The default fraction is the paper's 10%, or all of a small corpus."""
    small = source is not None and source.is_demo
    default_fraction = args.fraction if args.fraction and not small else (1.0 if small else DataConfig.fraction)
    fraction = st.slider("Sample fraction", 0.01, 1.0, default_fraction, 0.01, key=f"{S.FRACTION}:{small}",
                         help="Share of the rows kept (seeded; a smaller sample is part of a larger one).")
    k = st.slider("Clusters (k)", cached.K_RANGE.start, cached.K_RANGE.stop - 1, ClusterConfig.k, key=S.K)
    projection = st.radio("Map", ["t-SNE", "UMAP"], horizontal=True, key=S.PROJECTION)
    with st.expander("Encoder and seed"):
        objectives = list(OBJECTIVES)
        objective = st.selectbox("Training objective", objectives, index=objectives.index(DEFAULT_OBJECTIVE),
                                 key=S.OBJECTIVE, help="'autoencoder' is the paper's method.")
        hidden = st.select_slider("Hidden size", [32, 64, 128, 256, 512], EncoderConfig.hidden, key=S.HIDDEN)
        latent = st.slider("Latent size", 2, 128, EncoderConfig.latent, key=S.LATENT)
        epochs = st.number_input("Training epochs", 1, 500, EncoderConfig.epochs, key=S.EPOCHS)
        seed = st.number_input("Seed", 0, 2**31 - 1, RunConfig.seed, key=S.SEED)
    text_col = source.text_col if source else None
    label_col = source.label_col if source else None
    return RunConfig(
        data=DataConfig(source=source.key if source else DEFAULT_SOURCE, text_col=text_col, label_col=label_col,
                        fraction=float(fraction)),
        embed=EmbedConfig(),
        encoder=EncoderConfig(hidden=int(hidden), latent=int(latent), objective=objective, epochs=int(epochs)),
        cluster=ClusterConfig(k=int(k)),
        project=ProjectConfig(method="umap" if projection == "UMAP" else "tsne"),
        seed=int(seed))


def sidebar() -> tuple[Source | None, RunConfig]:
    args = launch_args()
    with st.sidebar:
        source = choose_source(args)
        cfg = settings(source, args)
    st.session_state[S.CURRENT] = (source, cfg)
    return source, cfg
