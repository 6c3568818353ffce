"""The operator's work limits: defaults, the environment, and the messages when one is exceeded."""
import pytest

from core.errors import UserError
from core.limits import Limits


def test_uploads_are_used_whole_up_to_the_comfortable_size():
    limits = Limits(comfortable=10_000)
    assert limits.default_fraction(60) == 1.0 and limits.default_fraction(10_000) == 1.0
    assert limits.default_fraction(120_000) == 0.08  # about 10,000 of 120,000, rounded down to 0.01
    assert limits.default_fraction(10_000_000) == 0.01


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CLUSTERLENS_MAX_RUN_ROWS", "1_000")
    monkeypatch.setenv("CLUSTERLENS_MAX_UPLOAD_ROWS", "-3")  # not positive: the default, with a warning
    limits = Limits.from_env()
    assert limits.max_run == 1000 and limits.max_upload == Limits().max_upload


def test_exceeding_a_limit_is_one_clear_message():
    limits = Limits(max_upload=100, max_run=50)
    limits.check_upload(100, "a.csv")
    limits.check_run(50)
    with pytest.raises(UserError, match=r"a.csv has 101 rows, over this server's limit of 100 rows per upload"):
        limits.check_upload(101, "a.csv")
    with pytest.raises(UserError, match=r"51 texts is over this server's limit of 50 per run; lower the sample"):
        limits.check_run(51)


def test_no_cap_below_a_million(monkeypatch):
    for name in ("CLUSTERLENS_MAX_RUN_ROWS", "CLUSTERLENS_MAX_UPLOAD_ROWS", "CLUSTERLENS_COMFORTABLE_ROWS"):
        monkeypatch.delenv(name, raising=False)
    limits = Limits.from_env()
    assert limits.max_run == 1_000_000 and limits.max_upload == 1_000_000
    limits.check_run(1_000_000)
    limits.check_upload(1_000_000, "big.csv")


def test_the_upload_limit_follows_a_higher_run_limit(monkeypatch):
    monkeypatch.delenv("CLUSTERLENS_MAX_UPLOAD_ROWS", raising=False)
    monkeypatch.setenv("CLUSTERLENS_MAX_RUN_ROWS", "3_000_000")
    assert Limits.from_env().max_upload == 3_000_000
    monkeypatch.setenv("CLUSTERLENS_MAX_UPLOAD_ROWS", "500")  # an operator's own upload limit still counts
    assert Limits.from_env().max_upload == 500
