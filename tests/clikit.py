"""The CLI harness for tests/test_cli.py: a helper process imports the CLI once and forks a child per
command (importing torch and scikit-learn takes seconds); the child redirects its file descriptors
1 and 2, so everything a real run prints is seen. ``fake=True`` swaps in the fake embedder.
"""
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from corpora import SCORE_KEYS, topic_csv  # noqa: F401  (re-exported for the CLI tests)

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--epochs", "3", "--projection", "none", "--fraction", "1"]

SERVER = r"""
import json, os, sys, time, traceback
sys.path[:0] = [{root!r}, {tests!r}]
import core.cli, core.embedding.embed, core.pipeline  # the slow imports, once
import torch._dynamo  # imported by the first optimiser step: seconds more (an import only, no threads)
from fakes import FakeEmbedder

def child(req):
    os.chdir(req["cwd"])
    os.environ.update(req["env"])
    for fd, path in ((0, os.devnull), (1, req["stdout"]), (2, req["stderr"])):
        f = os.open(path, os.O_RDONLY if fd == 0 else os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(f, fd)
        os.close(f)
    if req["fake"]:
        core.pipeline.get_embedder = core.embedding.embed.get_embedder = lambda *a, **k: FakeEmbedder()
    try:
        rc = core.cli.main(req["argv"])
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (exc.code is not None)
    except BaseException:
        traceback.print_exc()
        rc = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc or 0)

for line in sys.stdin:
    req = json.loads(line)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        child(req)
    # the child's end, polled with a deadline: a process, not a thread (no event to wait on), and one
    # that hangs must be killed at the deadline rather than wait forever as os.waitpid(pid, 0) would
    deadline = time.monotonic() + req["timeout"]
    while not (done := os.waitpid(pid, os.WNOHANG))[0] and time.monotonic() < deadline:
        time.sleep(0.02)
    if done[0]:
        rc = os.waitstatus_to_exitcode(done[1])
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        rc = "timeout"
    print(json.dumps({{"rc": rc}}), flush=True)
"""


@dataclass
class Result:
    rc: int | str
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()


@pytest.fixture(scope="module")
def _server():
    proc = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT), tests=str(ROOT / "tests"))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    yield proc
    proc.stdin.close()
    proc.wait(timeout=30)


@pytest.fixture
def cli(_server, tmp_path):
    """``cli(*argv, fake=True, env=None, timeout=120)`` runs ``python -m core *argv`` in ``tmp_path``."""
    calls = iter(range(1000))

    def call(*argv, fake: bool = True, env: dict | None = None, timeout: float = 120) -> Result:
        n = next(calls)
        out, err = tmp_path / f"stdout{n}.txt", tmp_path / f"stderr{n}.txt"
        request = {"argv": [str(a) for a in argv], "cwd": str(tmp_path), "fake": fake, "timeout": timeout,
                   "env": {"CLUSTERLENS_CACHE_DIR": os.environ["CLUSTERLENS_CACHE_DIR"], **(env or {})},
                   "stdout": str(out), "stderr": str(err)}
        _server.stdin.write(json.dumps(request) + "\n")
        _server.stdin.flush()
        rc = json.loads(_server.stdout.readline())["rc"]
        return Result(rc, out.read_text(), err.read_text())

    return call


def python_m_core(*argv, cwd: Path, timeout: float = 300) -> Result:
    """The real thing: a fresh ``python -m core`` process (the test's cache folder is in os.environ)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "core", *map(str, argv)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_one_error_line(result: Result, pattern: str) -> None:
    assert result.rc == 2, result.stderr
    assert len(result.lines) == 1, result.stderr
    assert result.lines[0].startswith("error: ") and "Traceback" not in result.stderr
    assert re.search(pattern, result.lines[0]), result.lines[0]


def read_outputs(out: Path) -> tuple[dict, pd.DataFrame, list]:
    metrics = json.loads((out / "metrics.json").read_text())
    table = pd.read_csv(out / "assignments.csv")
    clusters = json.loads((out / "clusters.json").read_text())
    return metrics, table, clusters


