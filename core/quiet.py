"""Keep third-party chatter out of the user's terminal: it goes to the debug log instead.

The ONNX export and quantisation print tracer warnings, exporter notes and a root-logger
"pre-processing" hint on first use; model loading draws a progress bar. None of them is something a
user can act on, so they are logged at debug level (``-v`` shows them on the CLI).
"""
from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from typing import Iterator

log = logging.getLogger(__name__)

NOISY_LOGGERS = ("huggingface_hub", "sentence_transformers", "transformers", "httpx", "onnxruntime",
                 "torch.onnx", "onnxscript", "onnx_ir",
                 # onnxruntime's transformer optimiser logs each fusion under these bare names
                 "fusion_base", "fusion_utils", "onnx_model", "onnx_model_bert", "optimizer")


def quiet_third_party() -> None:
    """Once per process: library loggers at ERROR (their warnings are about internals a user cannot
    act on; our own fallbacks are logged by us), and no progress bars from transformers."""
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        return
    try:  # transformers reads the hub's switch when it is first imported (importing it costs a second)
        from huggingface_hub.utils import disable_progress_bars
    except ImportError:  # neither is needed by a caller that never loads a model
        return
    disable_progress_bars()


class _ToDebug(logging.Filter):
    """Re-log records of the root logger at debug under our name (onnxruntime's quantiser logs there)."""

    def filter(self, record: logging.LogRecord) -> bool:
        log.debug("%s: %s", record.name, record.getMessage())
        return False


@contextlib.contextmanager
def exporting() -> Iterator[None]:
    """Around an ONNX export or quantisation: warnings and root-logger notes go to the debug log."""
    root, muffle = logging.getLogger(), _ToDebug()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        root.addFilter(muffle)  # records logged on the root logger itself (not our named loggers)
        try:
            yield
        finally:
            root.removeFilter(muffle)
    for warning in caught:
        log.debug("%s: %s", warning.category.__name__, warning.message)
