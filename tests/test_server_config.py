"""The server's own settings (``.streamlit/config.toml``) keep the promises the README makes of them."""
import tomllib
from pathlib import Path

CONFIG = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml").read_text())


def test_the_server_listens_on_this_machine_only_by_default():
    """No login: the README promises that only this machine reaches the app unless told otherwise."""
    assert CONFIG["server"]["address"] in ("localhost", "127.0.0.1")
