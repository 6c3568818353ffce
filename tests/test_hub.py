"""Hub sources against FakeHub, a local stand-in for the Hugging Face hub (never the real one).

huggingface_hub reads HF_ENDPOINT when it is imported, so every check runs in a fresh subprocess
with HF_ENDPOINT and HF_HOME set. Most call ``core.tables.data.build_corpus`` (quick to import); one runs the
whole CLI.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from hubserver import FakeHub

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "hf://datasets/Zhouhc/attack-agnews/agnews_train.csv"
LOAD = "import sys; from core.tables.data import build_corpus; c = build_corpus(sys.argv[1]); print(len(c), c.label_col)"
TOPICS = {"1": "team game match coach season player goal league",
          "2": "stock market bank shares profit investor price trade",
          "3": "rocket orbit planet nasa launch moon star telescope"}


@pytest.fixture
def hub_csv() -> bytes:
    """A small AG-News-like file: title, description, label."""
    rows = [{"label": label, "title": f"{words.split()[i % 8].title()} news {i}",
             "description": " ".join(words.split()[i % 8:] + words.split()[:i % 8]) + f" {i}"}
            for label, words in TOPICS.items() for i in range(8)]
    return pd.DataFrame(rows).to_csv(index=False).encode()


def hub_env(tmp_path: Path, endpoint: str) -> dict[str, str]:
    return dict(os.environ, HF_ENDPOINT=endpoint, HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="0",
                HF_HUB_DISABLE_TELEMETRY="1", PYTHONPATH=str(ROOT))


def python(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def load(source: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return python(["-c", LOAD, source], env, cwd)


def user_error(proc: subprocess.CompletedProcess) -> str:
    """The message of the UserError that ended ``proc`` (and assert that is how it ended)."""
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    assert proc.returncode == 1 and last.startswith("core.errors.UserError: "), proc.stderr
    return last.removeprefix("core.errors.UserError: ")


def free_port() -> int:
    """A local port with nothing listening on it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FailingHub:
    """Answers every request with HTTP ``status``; counts the requests."""

    def __init__(self, status: int = 500) -> None:
        self.requests: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _fail(self) -> None:
                hub.requests.append(f"{self.command} {self.path}")
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD = _fail

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FailingHub":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_download_then_the_cached_copy_without_the_hub(tmp_path, hub_csv):
    with FakeHub({"Zhouhc/attack-agnews/agnews_train.csv": hub_csv}) as hub:
        env = hub_env(tmp_path, hub.url)
        first = load(SOURCE, env, tmp_path)
        assert first.returncode == 0, first.stderr
        assert first.stdout.split() == ["24", "label"]
        assert any(r.startswith("GET /datasets/Zhouhc/attack-agnews/resolve/") for r in hub.requests)
    started = time.monotonic()
    second = load(SOURCE, env, tmp_path)  # the server is gone: the hub cache answers
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["24", "label"]
    assert time.monotonic() - started < 60


def test_a_missing_file_on_the_hub_is_a_user_error(tmp_path, hub_csv):
    with FakeHub({"Zhouhc/attack-agnews/agnews_train.csv": hub_csv}) as hub:
        proc = load("hf://datasets/Zhouhc/attack-agnews/nope.csv", hub_env(tmp_path, hub.url), tmp_path)
    assert "no file 'nope.csv' in dataset Zhouhc/attack-agnews" in user_error(proc)


def test_an_unreachable_hub_with_nothing_cached_fails_fast(tmp_path):
    started = time.monotonic()
    proc = load(SOURCE, hub_env(tmp_path, f"http://127.0.0.1:{free_port()}"), tmp_path)
    assert "unreachable" in user_error(proc) and "not cached" in user_error(proc)
    assert time.monotonic() - started < 60  # no minute of retries


def test_a_hub_answering_500_is_a_user_error_without_long_retries(tmp_path):
    started = time.monotonic()
    with FailingHub(500) as hub:
        proc = load(SOURCE, hub_env(tmp_path, hub.url), tmp_path)
    assert "answered HTTP 500" in user_error(proc)
    assert time.monotonic() - started < 60  # huggingface_hub's own retries alone take about 25 s
    assert sum(r.startswith("HEAD") for r in hub.requests) <= 2


def test_the_cli_runs_on_a_hub_source_and_fails_cleanly_without_it(tmp_path, hub_csv):
    args = ["-m", "core", "run", "--data", SOURCE, "--k", "3", "--fraction", "1", "--epochs", "2",
            "--projection", "none", "--backend", "torch", "--out", "out"]  # torch: no ONNX export
    with FakeHub({"Zhouhc/attack-agnews/agnews_train.csv": hub_csv}) as hub:
        proc = python(args, hub_env(tmp_path, hub.url), tmp_path, timeout=400)
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["n_docs"] == 24 and metrics["source"] == SOURCE and metrics["text_col"] == "title + description"
    assert metrics["acc"] is not None
    # an exit-2 line, not a traceback, when the hub is down and this file was never fetched
    other = python([*args[:4], "hf://datasets/Zhouhc/attack-agnews/other.csv", *args[5:]],
                   hub_env(tmp_path, f"http://127.0.0.1:{free_port()}"), tmp_path)
    lines = other.stderr.splitlines()
    assert other.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "unreachable" in lines[0]
