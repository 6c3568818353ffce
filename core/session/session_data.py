"""A workbench's reading of a user's data before a run: uploads (a table, an embeddings file) read once
per content, the sample a run will read, an embeddings file checked against that sample, and what a
user may choose (this server's limits, k's range). :class:`core.session.session.Workbench` is made of it and
the run; the pages reach it through the door. Plain Python: no Streamlit."""
from __future__ import annotations

import hashlib

import pandas as pd

from core.storage.cache import StageCache
from core.config import RunConfig
from core.tables.data import Corpus, read_table
from core.embedding.embed_file import FileEmbedder, check_distinct, distinct_rows, read_embeddings, text_hashes
from core.errors import UserError
from core.clustering.k_choice import K_RANGE, k_max
from core.limits import Limits
from core.pipeline import read_stage, sample_stage
from core.session.view import DataSource


class DataInputs:
    """The data side of :class:`core.session.session.Workbench` (``cache``: the stage cache it reads through)."""

    cache: StageCache

    @staticmethod
    def limits() -> Limits:
        """This server's limits on uploads and runs (read from the environment now)."""
        return Limits.from_env()

    @staticmethod
    def k_range(n: int | None = None) -> range:
        """The k a user may choose for ``n`` texts (``core.clustering.k_choice``: at most a fifth of them), or
        for any data (``n`` None)."""
        return range(K_RANGE.start, k_max(n) + 1)

    def upload_table(self, data: bytes, name: str, limits: Limits | None = None) -> tuple[str, pd.DataFrame]:
        """An uploaded file's raw table, read once per content -> (content key, table); a Parquet file over
        ``limits``' rows per upload is refused before its rows are read (a refusal is not cached)."""
        digest = hashlib.sha256(data).hexdigest()[:20]
        limits = limits or Limits.from_env()
        return digest, self.cache.fetch("upload", digest + name, lambda: read_table(data, name, limits=limits))

    def corpus(self, source: DataSource, cfg: RunConfig) -> tuple[str, Corpus]:
        """(sample key, the sample) the run for ``cfg`` reads, through the run's own cached stages (the
        sidebar shows its size before the run starts; the run then finds it cached)."""
        read_key, full = read_stage(source.key, source.value, cfg.data, self.cache)
        return sample_stage(read_key, full, cfg.data, cfg.seed, self.cache)

    def embeddings_file(self, data: bytes, name: str, model: str) -> FileEmbedder:
        """An uploaded embeddings file as the embedder of a run of ``model``, by content; raises
        UserError for a file that is not one, or another model's or width's."""
        digest = hashlib.sha256(data).hexdigest()[:20]
        file = self.cache.fetch("embeddings_file", digest + name,
                                lambda: read_embeddings(data, name=name, limits=Limits.from_env()))
        return self.cache.fetch("embeddings_file", f"{digest}{name}|{model}", lambda: FileEmbedder(file, model=model))

    def texts_without_vectors(self, embedder: FileEmbedder, sample_key: str,
                              texts: list[str]) -> tuple[int, str | None, int]:
        """(how many of a sample's texts the file has no vector for, the first of them, how many distinct
        vectors it gives the sample's texts), once per file and sample."""
        def count() -> tuple[int, str | None, int]:
            have = set(embedder.file.hashes)
            missing = [t for t, h in zip(texts, text_hashes(texts)) if h not in have]
            if missing:
                return len(missing), missing[0][:60].replace("\n", " "), 0
            return 0, None, distinct_rows(embedder.file.lookup(texts))

        return self.cache.fetch("embeddings_file", f"{embedder.cache_key}|{sample_key}", count)

    def check_embeddings_file(self, embedder: FileEmbedder, source: DataSource, cfg: RunConfig) -> None:
        """A UserError unless every text ``cfg`` samples from ``source`` has a vector in the file (matched
        by text hash, as the CLI matches) and the file gives them as many distinct vectors as clusters.
        A source that cannot be read passes: the page shows its own problem."""
        try:
            sample_key, corpus = self.corpus(source, cfg)
        except Exception:  # the data's own problem: the page shows it, with its message
            return
        n_missing, first, distinct = self.texts_without_vectors(embedder, sample_key, corpus.texts)
        if n_missing:
            raise UserError(f"the embeddings file has no vector for {n_missing:,} of the {len(corpus):,} texts in use "
                            f"(the first: {first!r}): it was embedded from other texts. The sidebar's Data, Text "
                            "column(s) and Sample fraction choose the texts; the file must hold them all")
        check_distinct(embedder.file, len(corpus), distinct, cfg.cluster.k)
