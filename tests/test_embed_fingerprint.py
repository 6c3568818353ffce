"""The model's fingerprint (core.embedding.embed_fingerprint) covers every byte that changes its vectors, so the
embedding store never serves vectors of another model."""
from __future__ import annotations

import shutil
from pathlib import Path

from core.embedding.embed import embed_texts
from core.embedding.embed_fingerprint import model_fingerprint
from core.storage.store import EmbeddingStore
from fakes import FakeEmbedder
from faultkit import damage, fake_model


def test_a_change_deep_in_the_weights_changes_the_fingerprint(tmp_path):
    original = fake_model(tmp_path / "a")
    copy = tmp_path / "b"
    shutil.copytree(original, copy)
    assert model_fingerprint(copy) == model_fingerprint(original)  # the content, not the path
    damage(copy / "model.safetensors", offset=(5 << 19))  # 2.5 MiB in: past the old 1 MiB head
    assert model_fingerprint(copy) != model_fingerprint(original)


def test_a_changed_config_or_a_new_file_changes_the_fingerprint_but_the_model_card_does_not(tmp_path):
    folder = fake_model(tmp_path / "m", size=1024)
    before = model_fingerprint(folder)
    (folder / "README.md").write_text("another card")
    assert model_fingerprint(folder) == before
    (folder / "config.json").write_text('{"hidden_size": 385}')
    changed = model_fingerprint(folder)
    assert changed != before
    (folder / "extra.json").write_text("{}")
    assert model_fingerprint(folder) != changed


def test_the_store_misses_for_a_model_changed_deep_inside(tmp_path):
    original = fake_model(tmp_path / "a")
    copy = tmp_path / "b"
    shutil.copytree(original, copy)
    damage(copy / "model.safetensors", offset=(5 << 19))
    store = EmbeddingStore(tmp_path / "s.sqlite")
    old, new = FakeEmbedder(), FakeEmbedder()
    old.fingerprint, new.fingerprint = model_fingerprint(original), model_fingerprint(copy)
    embed_texts(["some text", "another text"], old, store=store)
    assert embed_texts(["some text", "another text"], new, store=store).misses == 2


def test_the_packaged_model_changed_deep_inside_gets_another_fingerprint(tmp_path):
    from core.embedding.backends import resolve_model_path

    packaged = Path(resolve_model_path("all-MiniLM-L6-v2"))
    copy = tmp_path / "model"
    shutil.copytree(packaged, copy)
    assert model_fingerprint(copy) == model_fingerprint(packaged)
    damage(copy / "model.safetensors", offset=8 + 11408 + 87904768)  # the red team's offset
    assert model_fingerprint(copy) != model_fingerprint(packaged)
