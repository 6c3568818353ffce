"""Keep the server's full garbage collections cheap: freeze what is alive once the runs stop importing.

A full collection walks every object the collector tracks and holds the interpreter lock while it does:
with torch, scikit-learn, pandas and plotly imported, hundreds of thousands of long-lived objects (module
dicts, functions, classes) that will never be garbage. Meanwhile the server can neither send a page's
messages, nor serve the JavaScript chunks a freshly opened page asks for, nor answer
``/_stcore/health``. Streamlit's default runs one after every script run (``runner.postScriptGC``), so
with a few sessions working one collection follows another and the server stops answering: the app's
``.streamlit/config.toml`` turns that off, and what remains are Python's own full collections, which
come only as the heap grows.

After a run that imported new modules, :func:`freeze_new_imports` (called as each run starts) collects
once and then moves every object alive at that moment into the permanent generation
(:func:`gc.freeze`), which later collections skip. Reference counting still frees those objects when the
last reference goes; a reference cycle among them that becomes garbage (a plotly figure of a session,
say) waits for the next freeze, which first unfreezes everything so that its collection reclaims it.
Objects created afterwards are collected as before. Freezes happen only after runs that import something
(the first runs, then the first use of a feature with imports of its own), so they stay rare.
"""
from __future__ import annotations

import gc
import logging
import sys
import threading
import time

log = logging.getLogger(__name__)

_lock = threading.Lock()
_modules_at_last_freeze = 0


def freeze_new_imports() -> bool:
    """If modules were imported since the last call that froze: collect, then freeze every live
    object into the permanent generation. Returns whether it froze (False costs nothing)."""
    global _modules_at_last_freeze
    if len(sys.modules) <= _modules_at_last_freeze:
        return False
    with _lock:
        modules = len(sys.modules)
        if modules <= _modules_at_last_freeze:
            return False
        started = time.perf_counter()
        gc.unfreeze()  # what died among the frozen since the last freeze is collected now
        gc.collect()
        gc.freeze()
        _modules_at_last_freeze = modules
    log.debug("froze %d objects in %.2f s (%d modules): full collections skip them from now on",
              gc.get_freeze_count(), time.perf_counter() - started, modules)
    return True
