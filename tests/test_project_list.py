"""core.storage.project_list: how the Projects page lists a project."""
from datetime import datetime, timedelta, timezone

from core.config import RunConfig
from core.storage.project_list import ago, project_row
from core.storage.projects import Project, Source, Version, version_settings

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def test_a_row_says_data_size_k_versions_edits_and_when():
    cfg = RunConfig().with_(cluster={"k": 6})
    stamp = (NOW - timedelta(minutes=5)).isoformat()
    versions = (Version("a", version_settings(cfg), stamp, stamp, n=760, names={1: "Sport"}),
                Version("b", version_settings(cfg.with_(cluster={"k": 4})), stamp, stamp, n=760))
    project = Project("abcdef012345", "News", Source("upload", "news.csv", "upload:x:news.csv"), stamp, stamp,
                      stamp, 3, versions, {"version": "a", "settings": cfg.to_dict()})
    row = project_row(project, NOW)
    assert row.caption() == "uploaded file news.csv · 760 texts · k=6 · 2 versions · edited · opened 5 minutes ago"
    assert row.edited and not row.untouched
    empty = Project("abcdef012346", "Demo corpus", Source("demo", "Demo corpus", "demo"), stamp, stamp, stamp)
    assert project_row(empty, NOW).caption() == "the demo corpus · 0 versions · no edits · opened 5 minutes ago"
    assert project_row(empty, NOW).untouched


def test_ago():
    for seconds, said in [(30, "just now"), (60, "1 minute ago"), (7200, "2 hours ago"), (86400 * 3, "3 days ago"),
                          (86400 * 30, "2026-11-07")]:
        assert ago((NOW - timedelta(seconds=seconds)).isoformat(), NOW) == said
    assert ago("not a time", NOW) == "not a time"
