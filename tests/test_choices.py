from pathlib import Path

from core.choices import markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "choices.md"


def test_the_choices_doc_is_what_the_registries_say():
    """docs/choices.md is generated from the registries (``python docs/make_choices.py``): an entry added,
    renamed or reworded in core without regenerating it fails here."""
    assert DOC.read_text(encoding="utf-8") == markdown() + "\n", "run: python docs/make_choices.py"


def test_a_registered_projection_appears_in_the_choices(monkeypatch):
    from core.projection import project as projections

    monkeypatch.setitem(projections.REGISTRY, "pca", projections.Projection("pca", "PCA", "A linear map.", None))
    assert "| `pca` | PCA | A linear map. |" in markdown()
