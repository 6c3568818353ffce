"""How much work one upload and one run of the app may ask for; an operator sets these.

The defaults come from the speed benchmark on a 2-core machine (docs/benchmarks.md): 10,000 texts
are a cold run of a few minutes, so uploads use all their rows up to that size. Above it, the
default sample is a share of the file that keeps about that many (the user may raise it up to the
run limit). Hard limits refuse a file or a run that would tie the server up for long: a million
texts, the size every stage is built for (K-Means with fewer restarts, the co-view's classifiers
fitted on a sample, an approximate neighbour graph, a map placed from landmarks; docs/benchmarks.md
measures a cold million with the static embedder).

Environment variables (positive integers): ``CLUSTERLENS_COMFORTABLE_ROWS`` (default 10,000),
``CLUSTERLENS_MAX_RUN_ROWS`` (texts in one run of the app, default 1,000,000) and
``CLUSTERLENS_MAX_UPLOAD_ROWS`` (rows in an uploaded file; default 1,000,000, or the run limit when
that is set higher: a file the app may run whole is a file it accepts).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from core.errors import UserError

log = logging.getLogger(__name__)

COMFORTABLE_ROWS, MAX_UPLOAD_ROWS, MAX_RUN_ROWS = 10_000, 1_000_000, 1_000_000


@dataclass(frozen=True)
class Limits:
    """``comfortable``: texts a run uses by default; ``max_upload``: rows per uploaded file;
    ``max_run``: texts per run."""

    comfortable: int = COMFORTABLE_ROWS
    max_upload: int = MAX_UPLOAD_ROWS
    max_run: int = MAX_RUN_ROWS

    @classmethod
    def from_env(cls) -> "Limits":
        """The limits set in the environment, the defaults where unset or not a positive integer."""
        def read(name: str, default: int) -> int:
            raw = os.environ.get(name, "").replace("_", "").replace(",", "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if value < 1:
                log.warning("%s=%r is not a positive integer; using %d", name, os.environ[name], default)
                return default
            return value

        max_run = read("CLUSTERLENS_MAX_RUN_ROWS", MAX_RUN_ROWS)
        return cls(read("CLUSTERLENS_COMFORTABLE_ROWS", COMFORTABLE_ROWS),
                   read("CLUSTERLENS_MAX_UPLOAD_ROWS", max(MAX_UPLOAD_ROWS, max_run)), max_run)

    def default_fraction(self, n_rows: int) -> float:
        """All rows up to ``comfortable``, else the share (two decimals, at least 0.01) that keeps about that many."""
        if n_rows <= self.comfortable:
            return 1.0
        return max(0.01, int(100 * self.comfortable / n_rows) / 100)

    def check_upload(self, n_rows: int, name: str) -> None:
        """Refuse an uploaded file of more than ``max_upload`` rows."""
        if n_rows > self.max_upload:
            raise UserError(f"{name} has {n_rows:,} rows, over this server's limit of {self.max_upload:,} rows per "
                            "upload; upload a sample of it")

    def check_run(self, n_texts: int) -> None:
        """Refuse a run over ``max_run`` texts, naming the control that lowers it."""
        if n_texts > self.max_run:
            raise UserError(f"{n_texts:,} texts is over this server's limit of {self.max_run:,} per run; "
                            "lower the sample fraction")
