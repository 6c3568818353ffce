"""The command line: ``python -m core run|embed|assign|project|bench``. Bad input exits 2 with one ``error:`` line."""
from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from core.storage.atomic import atomic_write_bytes, atomic_write_text
from core.config import DEFAULT_SOURCE, ClusterConfig, DataConfig, EmbedConfig, EncoderConfig, ProjectConfig, RefineConfig, RunConfig
from core.tables.csv_export import safe_csv
from core.errors import UserError
from core.quiet import quiet_third_party

log = logging.getLogger("core")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one ``error:`` line and exit 2 (not the usage block first)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def embedder_arg(p: argparse.ArgumentParser) -> None:
    """``--embedder``: a choice of ``core.embedding.embedders`` (default: the --model, all-MiniLM-L6-v2)."""
    from core.embedding.embedders import DEFAULT_EMBEDDER, EMBEDDERS

    p.add_argument("--embedder", choices=tuple(EMBEDDERS), default=None,
                   help=f"default {DEFAULT_EMBEDDER}; " + "; ".join(f"{e.name}: {e.help.rstrip('.')}" for e in EMBEDDERS.values()))


def apply_embedder(args: argparse.Namespace) -> None:
    """Put the ``--embedder`` choice's model into ``args.model`` (a --model naming another model is an error)."""
    choice = getattr(args, "embedder", None)
    if choice is None:
        return
    from core.embedding.embedders import embedder_named

    model = embedder_named(choice).model
    if args.model not in (EmbedConfig.model, model):
        raise UserError(f"--embedder {choice} and --model {args.model} name different models; give one of them")
    args.model = model


def build_parser() -> argparse.ArgumentParser:
    from core.clustering import cluster_stage
    from core.projection import project as projections  # the registries: their choices as they are now
    parser = OneLineParser(prog="python -m core", description="Cluster short texts by meaning.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details (and tracebacks)")
    sub = parser.add_subparsers(dest="command", required=True)

    def data_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", default=DEFAULT_SOURCE,
                       help="hf://datasets/<owner>/<name>/<file>, a .csv/.tsv/.parquet/.jsonl file, or 'demo'")
        p.add_argument("--text-col", default=None,
                       help="text column; a+b joins several (default: detected from common names)")
        p.add_argument("--model", default=EmbedConfig.model, help="sentence-transformers model name or folder")
        p.add_argument("--backend", default=EmbedConfig.backend, help="auto, torch, onnx, ... (see README)")
        embedder_arg(p)

    run = sub.add_parser("run", help="the whole method: embed, train, cluster, score, project")
    data_args(run)
    run.add_argument("--label-col", default=None, help="label column (default: label, if present)")
    run.add_argument("--fraction", type=float, default=DataConfig.fraction, help="share of rows to keep (0, 1]")
    run.add_argument("--hidden", type=int, default=EncoderConfig.hidden)
    run.add_argument("--latent", type=int, default=EncoderConfig.latent)
    run.add_argument("--objective", default=None, help="training objective (default: neighbours)")
    run.add_argument("--epochs", type=int, default=None, help=f"training epochs (default {EncoderConfig.epochs})")
    run.add_argument("--k", type=int, default=ClusterConfig.k)
    run.add_argument("--clusters", choices=cluster_stage.method_names(), default=ClusterConfig.method,
                     help="; ".join(f"{m.name}: {m.describes}" for m in cluster_stage.METHODS.values())
                     + f" (default {ClusterConfig.method})")
    run.add_argument("--projection", choices=projections.names(), default=ProjectConfig.method,
                     help="; ".join(f"{p.name}: {p.help}" for p in projections.REGISTRY.values()))
    run.add_argument("--refine", action="store_true",
                     help="fine-tune the sentence model's top layers on these texts first (no labels; minutes)")
    run.add_argument("--refine-epochs", type=int, default=RefineConfig.epochs, help="refine: passes over the texts")
    run.add_argument("--refine-layers", type=int, default=RefineConfig.layers, help="refine: top layers trained")
    run.add_argument("--seed", type=int, default=RunConfig.seed)
    run.add_argument("--no-cache", action="store_true", help="do not read or write the embedding store and results")
    run.add_argument("--out", default="out", help="folder for metrics.json, assignments.csv, clusters.json")
    run.add_argument("--embeddings", default=None, metavar="FILE.parquet",
                     help="use these vectors (from `embed --out FILE.parquet`) instead of embedding")

    emb = sub.add_parser("embed", help="embed the first N texts and report throughput")
    data_args(emb)
    emb.add_argument("--limit", type=int, default=None, help="embed only the first N texts")
    emb.add_argument("--no-cache", action="store_true", help="do not read or write the embedding store")
    emb.add_argument("--out", required=True,
                     help="FILE.npy: the (N, dim) float32 array; FILE.parquet (or a URI): vectors keyed by text "
                          "hash, with the model in the metadata (for run --embeddings)")
    emb.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                     help="embed on a Ray cluster (ray://host:10001, or none: a local or RAY_ADDRESS cluster); "
                          "needs requirements-scale.txt and a .parquet --out")
    emb.add_argument("--ray-actors", type=int, default=None, help="model copies on Ray (default: one per GPU, "
                     "else one per CPU but one)")

    assign = sub.add_parser("assign", help="assign new texts to the clusters of a run folder or a project file")
    assign.add_argument("--model", required=True, metavar="RUN_DIR_OR_PROJECT_FILE",
                        help="a folder of `run --out` (its assign-model.safetensors) or a project file")
    assign.add_argument("--data", required=True, help="the new texts: a .csv/.tsv/.parquet/.jsonl file")
    assign.add_argument("--text-col", default=None,
                        help="text column; a+b joins several (default: the run's, else detected)")
    assign.add_argument("--out", required=True, help="the CSV to write: the input's columns, then cluster, "
                        "cluster_name, confidence, x, y")
    assign.add_argument("--no-cache", action="store_true", help="do not read or write the embedding store")

    project = sub.add_parser("project", help="list, export or import projects (of the cache folder)")
    actions = project.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="id, name, source, texts, k and last opened of every project")
    export = actions.add_parser("export", help="write a project as one file to share")
    export.add_argument("project", help="the project's id or name")
    export.add_argument("--out", required=True, help="the file to write (a zip; see docs/project-file.md)")
    load = actions.add_parser("import", help="import a project file as a new project")
    load.add_argument("file", help="a project file of `project export` or of the app")

    bench = sub.add_parser("bench", help="benchmarks that print ratios against a baseline")
    bench.add_argument("which", choices=("quality", "speed", "names"))
    shared = os.environ.get("CLUSTERLENS_SHARED_DATA") or "../shared/data"  # the team's corpora, by folder
    bench.add_argument("--data", default=os.path.join(shared, "ag_news_test.csv"),
                       help="a data file (default: ag_news_test.csv in $CLUSTERLENS_SHARED_DATA, else ../shared/data)")
    bench.add_argument("--k", type=int, default=None, help="clusters (default: the number of labels)")
    bench.add_argument("--label-col", default=None, help="label column (default: label, if present)")
    bench.add_argument("--seeds", default="0,1,2,3,4")
    bench.add_argument("--limit", type=int, default=None, help="use only the first N texts")
    bench.add_argument("--model", default=EmbedConfig.model, help="sentence-transformers model name or folder")
    embedder_arg(bench)
    bench.add_argument("--backend", default=EmbedConfig.backend,
                       help="embedding backend (speed: the candidate timed against torch-fp32; default auto)")
    bench.add_argument("--objectives", default=None, help="comma-separated objectives (default: all)")
    bench.add_argument("--refine", action="store_true", help="quality: add the Refine stage's row (slow)")
    bench.add_argument("--refine-epochs", type=int, default=RefineConfig.epochs)
    bench.add_argument("--refine-layers", type=int, default=RefineConfig.layers)
    bench.add_argument("--scale", type=int, default=120_000,
                       help="speed: texts for the scale test and the cold run (0: skip)")
    bench.add_argument("--parts", default="embedding,repeat,projection,reaction,scale,ann,sharing",
                       help="speed: comma-separated sections to run (default: all but run, a cold run of "
                            "--data grown to --scale texts)")
    return parser


def run_config(args: argparse.Namespace) -> RunConfig:
    """The run's settings; each config section checks its own values as it is built."""
    objective = args.objective or EncoderConfig.objective
    epochs = args.epochs if args.epochs is not None else EncoderConfig.epochs
    return RunConfig(
        data=DataConfig(source=args.data, text_col=args.text_col, label_col=args.label_col, fraction=args.fraction),
        embed=EmbedConfig(model=args.model, backend=args.backend),
        encoder=EncoderConfig(hidden=args.hidden, latent=args.latent, objective=objective, epochs=epochs),
        cluster=ClusterConfig(k=args.k, method=args.clusters), project=ProjectConfig(method=args.projection),
        refine=RefineConfig(enabled=args.refine, epochs=args.refine_epochs, layers=args.refine_layers), seed=args.seed)


class StderrProgress:
    """One progress line per stage on stderr: redrawn in place on a terminal (at most every half
    second), written once when the stage finishes otherwise (a log file gets no stream of updates)."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}
        self.tty = sys.stderr.isatty()

    def __call__(self, stage: str, done: int, total: int, message: str) -> None:
        finished = done >= total
        now = time.monotonic()
        if self.tty and (finished or now - self.last.get(stage, 0.0) > 0.5):
            self.last[stage] = now
            sys.stderr.write(f"\r\033[K[{stage}] {message}" + ("\n" if finished else ""))
        elif not self.tty and finished:
            sys.stderr.write(f"[{stage}] {message}\n")
        sys.stderr.flush()


def cmd_run(args: argparse.Namespace) -> int:
    from core.embedding.backends import resolve_backend
    from core.storage.cache import DiskCache, MemoryCache, NoCache
    from core.embedding.embed import default_results, default_store
    from core.pipeline import run

    resolve_backend(args.backend)  # an unknown name fails before any data is read
    cfg = run_config(args)
    out = Path(args.out)
    check_writable(out, folder=True)  # a bad --out fails now, not after all the work
    # the last value of each stage in memory for this run: the raw K-Means that starts the co-view is
    # also the baseline, computed once (two K-Means of a million points were two minutes)
    cache = MemoryCache({}, NoCache() if args.no_cache else DiskCache(default_results()), default_size=1)
    embedder = store = None
    if args.embeddings:  # the file's vectors, checked against --model now; no model is loaded
        from core.embedding.embed_file import FileEmbedder, read_embeddings

        embedder = FileEmbedder(read_embeddings(args.embeddings), model=cfg.embed.model)
    elif not args.no_cache:
        store = default_store()
    result = run(cfg, cache=cache, embedder=embedder, store=store, progress=StderrProgress())
    write_outputs(result, out, embedder)
    m = result.metrics()
    b = m["baseline"]
    sys.stderr.write(
        f"{m['n_docs']} texts, k={m['k']}, objective {cfg.encoder.objective}, embeddings {result.embeddings.backend} "
        f"({m['embed_cache']['hits']} from the store)\n"
        + (f"refined {m['refine']['base_model']}: {m['refine']['steps']} steps in {m['refine']['seconds']:.0f} s on "
           f"{m['refine']['device']}\n" if "refine" in m else "")
        + f"latent: silhouette {_f(m['silhouette'])}  Davies-Bouldin {_f(m['davies_bouldin'])}  "
        f"ACC {_f(m['acc'])}  NMI {_f(m['nmi'])}  ARI {_f(m['ari'])}\n"
        f"raw-embedding K-Means: silhouette {_f(b['silhouette'])}  Davies-Bouldin {_f(b['davies_bouldin'])}  "
        f"ACC {_f(b['acc'])}  NMI {_f(b['nmi'])}  ARI {_f(b['ari'])}\n"
        f"{m['timings_s']['total']:.1f} s in all; wrote {out}/metrics.json, assignments.csv, clusters.json, "
        "assign-model.safetensors\n")
    return 0


def check_writable(path: Path, *, folder: bool) -> None:
    """Fail with one line unless ``path`` can be written: an existing folder (``folder``) or file (not
    ``folder``) we can write into, or a new one whose nearest existing parent is a writable folder.
    Creates nothing: a probe file is made and removed at once."""
    what = "--out"
    if path.exists() and folder and not path.is_dir():
        raise UserError(f"{what} {path} is a file, not a folder; pick a folder for the outputs")
    if path.is_dir() and not folder:
        raise UserError(f"{what} {path} is a folder; give the path of the file to write")
    probe = path if folder and path.is_dir() else path.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"cannot write {what} {path}: {probe} is a file, not a folder")
    try:
        tempfile.TemporaryFile(dir=probe).close()
    except OSError as exc:
        raise UserError(f"cannot write {what} {path}: {probe} is not writable ({exc.strerror or exc})") from None


def write_outputs(result, out: Path, embedder=None) -> None:
    """metrics.json, assignments.csv (see ``core.tables.export.assignments_table``), clusters.json,
    encoder.safetensors, and assign-model.safetensors (``core.clustering.assign_file``: what ``assign`` needs).
    ``embedder``: the run's file of vectors, if any (else the model is asked for its fingerprint)."""
    from core.clustering.assign import ClusterModel
    from core.clustering.assign_file import MODEL_FILE, model_bytes
    from core.embedding.backends import backend_for
    from core.embedding.embed import get_embedder
    from core.tables.export import assignments_table, cluster_name, clusters_document, confidence

    out.mkdir(parents=True, exist_ok=True)
    clustering = result.clusters.clustering
    names = {s.cluster: cluster_name(s) for s in result.summaries}
    table = assignments_table(result.corpus, clustering.labels, names, confidence(result.latent, clustering.centers),
                              result.xy)
    clusters = clusters_document(result.summaries, result.corpus.texts)
    atomic_write_text(out / "metrics.json", json.dumps(result.metrics(), indent=2))
    atomic_write_text(out / "assignments.csv", safe_csv(table))
    atomic_write_text(out / "clusters.json", json.dumps(clusters, indent=2, ensure_ascii=False))
    atomic_write_bytes(out / "encoder.safetensors", result.encoder.to_bytes())
    cfg = result.config.embed
    if embedder is None:  # the model the run embedded with (loaded already unless the store held every text)
        embedder = get_embedder(cfg.model, backend_for(cfg.backend, len(result.corpus)))
    backend = embedder.file.backend if hasattr(embedder, "file") else embedder.backend
    model = ClusterModel.of(result, clustering.labels, names, fingerprint=embedder.fingerprint, backend=backend)
    atomic_write_bytes(out / MODEL_FILE, model_bytes(model))


def cmd_embed(args: argparse.Namespace) -> int:
    from core.embedding.backends import resolve_backend
    from core.tables.data import build_corpus
    from core.embedding.embed import default_store, embed_texts, get_embedder
    from core.embedding.embed_file import is_remote, write_embeddings

    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be at least 1, got {args.limit}")
    resolve_backend(args.backend)
    parquet = args.out.endswith(".parquet") or is_remote(args.out)
    if args.ray is not None and not parquet:
        raise UserError(f"--ray writes Parquet: give --out a .parquet path, not {args.out}")
    if not is_remote(args.out):
        check_writable(Path(args.out), folder=False)
    corpus = build_corpus(args.data, text_col=args.text_col)
    texts = corpus.texts[: args.limit] if args.limit else corpus.texts
    if args.ray is not None:
        from core.embedding.embed_ray import embed_on_ray

        report = embed_on_ray(texts, model=args.model, backend=args.backend, address=args.ray or None,
                              out=args.out, actors=args.ray_actors)
        print(f"embedded {len(texts)} texts on Ray in {report.seconds:.2f} s ({len(texts) / report.seconds:.1f} "
              f"texts/s, {report.actors} actor{'s' if report.actors > 1 else ''}, backend {report.backend}); "
              f"wrote {args.out}")
        return 0
    embedder = get_embedder(args.model, args.backend)
    report = StderrProgress()  # one reporter, so its throttling holds across calls
    result = embed_texts(texts, embedder, store=None if args.no_cache else default_store(),
                         progress=lambda d, t: report("embed", d, t, f"embedded {d} of {t} texts"))
    if parquet:
        write_embeddings(args.out, texts, result.vectors, model=args.model, fingerprint=embedder.fingerprint,
                         backend=result.backend)
    else:
        buffer = io.BytesIO()
        np.save(buffer, result.vectors)
        atomic_write_bytes(Path(args.out), buffer.getvalue())
    rate = result.misses / result.seconds if result.seconds > 0 and result.misses else 0.0
    if result.hits:
        sys.stderr.write(f"{result.hits} of {len(texts)} texts read from the store (not timed)\n")
    print(f"embedded {len(texts)} texts in {result.seconds:.2f} s ({rate:.1f} texts/s, backend {result.backend})")
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    from core.clustering.assign import text_columns, texts_of, with_assignments
    from core.clustering.assign_file import check_embedder, load_cluster_model
    from core.tables.data import read_source
    from core.embedding.embed import default_store, embed_texts, get_embedder

    out = Path(args.out)
    check_writable(out, folder=False)
    model = load_cluster_model(args.model)
    table, name = read_source(args.data)
    rows, texts = texts_of(table, args.text_col or text_columns(model.text_col, list(map(str, table.columns))), name)
    embedder = get_embedder(model.model, model.backend)
    check_embedder(model, embedder.fingerprint, args.model)
    report = StderrProgress()
    batch = 1 if model.backend == "torch-fp32" else 64  # one text per call, as a run embeds on torch-fp32
    vectors = embed_texts(texts, embedder, store=None if args.no_cache else default_store(), batch_size=batch,
                          progress=lambda d, t: report("embed", d, t, f"embedded {d} of {t} texts")).vectors
    assigned = model.assign(vectors)
    atomic_write_text(out, safe_csv(with_assignments(table, rows, assigned)))
    low = int((assigned.confidence < 0.5).sum())
    sys.stderr.write(f"assigned {len(assigned)} texts to {len(model.ids)} clusters ({low} with confidence below 0.5"
                     + (f"; {len(table) - len(rows)} rows without text left unassigned" if len(rows) < len(table)
                        else "") + f"); wrote {out}\n")
    return 0


def cmd_project(args: argparse.Namespace) -> int:
    from core.storage.projects import ProjectStore
    from core.session.session import Session, Workbench

    store = ProjectStore()
    if args.action == "list":
        rows = [("id", "name", "source", "texts", "k", "last opened")]
        rows += [(p.id, p.name, p.source.name, *project_size(store, p), p.opened) for p in store.list()]
        widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
        return 0
    from core.embedding import embed

    # the model is looked up when it is needed (the one loader of the process, as core.naming.naming does)
    session = Session(Workbench(load_embedder=lambda model, backend: embed.get_embedder(model, backend),
                                precompute=False))
    if args.action == "export":
        out = Path(args.out)
        check_writable(out, folder=False)
        project = session.open(find_project(store, args.project).id)
        data = session.export_project(progress=StderrProgress())
        atomic_write_bytes(out, data)
        sys.stderr.write(f"exported project {project.name!r} ({len(project.versions)} version"
                         f"{'s' if len(project.versions) != 1 else ''}, {len(data) / 1e6:.1f} MB) to {out}\n")
        return 0
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    project = session.import_project(data, name=str(path))
    sys.stderr.write(f"imported {path} as project {project.id} {project.name!r} ({len(project.versions)} version"
                     f"{'s' if len(project.versions) != 1 else ''})\n")
    return 0


def find_project(store, wanted: str):
    """The project whose id, else whose name, is ``wanted``; one clear line if none or several."""
    projects = store.list()
    by_id = [p for p in projects if p.id == wanted]
    named = by_id or [p for p in projects if p.name == wanted]
    if len(named) == 1:
        return named[0]
    if named:
        raise UserError(f"{len(named)} projects are named {wanted!r}; give the id (see `python -m core project list`)")
    raise UserError(f"there is no project {wanted!r} (see `python -m core project list`)")


def project_size(store, project) -> tuple[str, str]:
    """(texts, k) of a project's current version, as text ('' before its first map)."""
    version = project.current
    if version is None:
        return "", ""
    k = (version.settings.get("cluster") or {}).get("k", "")
    if version.labels is not None:  # split or merged: count the clusters
        try:
            k = len(np.unique(store.labels(project.id, version.labels)))
        except UserError:
            pass
    return str(version.n), str(k)


def cmd_bench(args: argparse.Namespace) -> int:
    from core import bench

    return bench.main(args)


def _f(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not args.verbose:  # third-party chatter (retries, load reports) would bury the one error line
        quiet_third_party()
    try:
        apply_embedder(args)
        return {"run": cmd_run, "embed": cmd_embed, "assign": cmd_assign, "project": cmd_project,
                "bench": cmd_bench}[args.command](args)
    except UserError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    except Exception as exc:  # one line, never a traceback (unless --verbose)
        log.debug("unexpected failure", exc_info=True)
        if args.verbose:
            raise
        sys.stderr.write(f"error: unexpected {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}\n")
        return 1
