"""What the app's script asks of the door outside a session: each run's setting (quiet loggers, a
frozen heap, background passes held back) and data sources given by name. Plain Python: no Streamlit."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from core.session import background
from core.pipeline import source_key
from core.session.view import DataSource


@contextmanager
def app_run() -> Iterator[None]:
    """Around one run of the app's script (its sidebar and page): third-party loggers quiet, the modules
    imported so far frozen out of full garbage collections (``core.session.heap``; before the page, as a run
    that ends with a stop never reaches code after it), and background passes held back until the
    page is computed and drawn (``core.session.background.foreground``)."""
    from core.session.heap import freeze_new_imports
    from core.quiet import quiet_third_party

    quiet_third_party()
    freeze_new_imports()
    with background.foreground():
        yield


def named_source(value: str, *, text_col: str | tuple[str, ...] | None = None, label_col: str | None = None,
                 kind: str = "path", is_demo: bool = False) -> DataSource:
    """A source given by its name (a path, an address): its key names the file as it is now."""
    return DataSource(source_key(value), value, value, text_col, label_col, is_demo=is_demo, kind=kind)


def hub_path(source: str) -> str:
    """The local copy of a hub data set, fetched into the hub cache when needed (a UserError says why not)."""
    from core.tables.data import hub_download

    return str(hub_download(source))
