"""Write ``docs/choices.md`` from the registries in core: ``python docs/make_choices.py``."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.choices import markdown  # noqa: E402

if __name__ == "__main__":
    (ROOT / "docs" / "choices.md").write_text(markdown() + "\n", encoding="utf-8")
