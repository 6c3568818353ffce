"""The CLI's ``project``: list, export, import into another cache folder; one ``error:`` line for a bad
file or an unknown project, and nothing imported."""

import pandas as pd
import pytest

from clikit import assert_one_error_line, topic_csv


def _make_project() -> str:
    """A project in the test's cache folder, made as the app makes one (k=4 on the demo, a cluster renamed)."""
    from core.config import ClusterConfig, DataConfig, EncoderConfig, ProjectConfig, RunConfig
    from core.session.session import Session, Workbench
    from core.session.view import DataSource
    from fakes import FakeEmbedder

    fake = FakeEmbedder()
    session = Session(Workbench(load_embedder=lambda model, backend: fake, precompute=False))
    cfg = RunConfig(data=DataConfig(source="demo", fraction=1.0), encoder=EncoderConfig(epochs=2),
                    cluster=ClusterConfig(k=4), project=ProjectConfig("none"), seed=0)
    view = session.view(DataSource("demo", "demo", "Demo corpus", is_demo=True, kind="demo"), cfg)
    session.rename(view, 1, "Sport")
    return session.project.id


def test_project_list_export_and_import_into_another_cache_folder(cli, tmp_path):
    pid = _make_project()
    listed = cli("project", "list")
    assert listed.rc == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["id", "name", "source", "texts", "k", "last", "opened"]
    assert row.startswith(pid) and "Demo corpus" in row and " 320 " in row and " 4 " in row
    exported = cli("project", "export", "Demo corpus", "--out", "demo.clusterlens")
    assert exported.rc == 0, exported.stderr
    assert "exported project 'Demo corpus' (1 version" in exported.stderr

    other = {"CLUSTERLENS_CACHE_DIR": str(tmp_path / "other")}
    imported = cli("project", "import", "demo.clusterlens", env=other)
    assert imported.rc == 0, imported.stderr
    assert "as project" in imported.stderr and "'Demo corpus'" in imported.stderr
    again = cli("project", "list", env=other).stdout.splitlines()
    assert len(again) == 2 and "Demo corpus" in again[1] and not again[1].startswith(pid)
    assigned = cli("assign", "--model", "demo.clusterlens", "--data", topic_csv(tmp_path, 2), "--out", "a.csv")
    assert assigned.rc == 0, assigned.stderr
    assert len(pd.read_csv(tmp_path / "a.csv")) == 6


def _manifest_changed(path, **changes) -> None:
    import io
    import json
    import zipfile

    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest.update(changes)
    members["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    path.write_bytes(out.getvalue())


@pytest.mark.parametrize("case, pattern, fake", [
    ("truncated", "damaged or truncated", True),
    ("newer", "newer ClusterLens", True),
    ("not installed", "made with the sentence model 'no-such-model', which is not installed here", False),
])
def test_project_import_of_a_bad_file_is_one_error_line_and_imports_nothing(cli, tmp_path, case, pattern, fake):
    _make_project()
    assert cli("project", "export", "Demo corpus", "--out", "p.clusterlens").rc == 0
    path = tmp_path / "p.clusterlens"
    if case == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif case == "newer":
        _manifest_changed(path, format_version=99)
    else:
        _manifest_changed(path, model="no-such-model")
    other = {"CLUSTERLENS_CACHE_DIR": str(tmp_path / "other")}
    assert_one_error_line(cli("project", "import", "p.clusterlens", env=other, fake=fake), pattern)
    assert cli("project", "list", env=other).stdout.splitlines()[1:] == []


def test_project_export_of_an_unknown_project_is_one_error_line(cli, tmp_path):
    assert_one_error_line(cli("project", "export", "nothing here", "--out", "p.clusterlens"),
                          "there is no project 'nothing here'")
