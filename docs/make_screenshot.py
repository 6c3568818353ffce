"""Take the README's screenshot from the real app: ``python docs/make_screenshot.py [OUT.png]``.

Starts ``streamlit run app.py -- --data demo`` on a free local port with a private cache folder,
opens it in Debian's Chromium at 1440x900, waits until the map is drawn and the app is idle, and
writes ``docs/map.png`` (or OUT.png). Needs ``/usr/bin/chromium`` and the ``playwright`` package.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browserkit import MAP_PLOT, StreamlitServer, chromium_page, wait_idle, wait_until  # noqa: E402

# the encoder's map (not the provisional one), drawn with its legend
MAP_DRAWN = """() => {
  const gd = %s;
  const title = (gd && gd._fullLayout.title && gd._fullLayout.title.text) || "";
  return !!(gd && gd._fullData && gd.querySelector('.legend .legendtext') && /latent space/.test(title));
}""" % MAP_PLOT


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, CLUSTERLENS_CACHE_DIR=str(Path(tmp) / "cache"), HF_HUB_OFFLINE="1")
        server = StreamlitServer(ROOT, "app.py", ["--data", "demo"], env, Path(tmp) / "streamlit.log")
        try:
            server.wait_healthy(timeout=120)
            with chromium_page() as page:
                page.set_viewport_size({"width": 1440, "height": 900})
                page.goto(server.url, wait_until="domcontentloaded")
                wait_until(page, MAP_DRAWN, timeout=900, what="the map", server=server)
                wait_idle(page, timeout=300, server=server)
                page.wait_for_timeout(1500)  # let Plotly finish its transition
                page.screenshot(path=str(out))
        finally:
            server.stop()
    logging.getLogger(__name__).info("wrote %s", out)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "map.png")
