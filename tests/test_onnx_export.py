"""The ONNX artefact (core.embedding.onnx_export): keyed on the whole model, and built somewhere private when the
model cache cannot be written."""
from __future__ import annotations

import logging
import shutil

import pytest

from faultkit import damage, fake_model


def test_the_onnx_artefact_is_keyed_on_the_whole_model(tmp_path):
    pytest.importorskip("onnxruntime")
    from core.embedding.onnx_export import _fingerprint

    original = fake_model(tmp_path / "a")
    copy = tmp_path / "b"
    shutil.copytree(original, copy)
    damage(copy / "model.safetensors", offset=(5 << 19))
    assert _fingerprint(str(copy)) != _fingerprint(str(original))


def test_an_unwritable_model_cache_exports_to_a_private_folder_with_one_warning(tmp_path, monkeypatch, caplog):
    import core.embedding.onnx_export as onnx_export

    def export(path, tmp):  # stands in for the minute-long real export
        built = tmp / "raw.onnx"
        built.write_bytes(b"graph of " + str(path).encode())
        return built

    monkeypatch.setattr(onnx_export, "_fingerprint", lambda path: "tag")
    monkeypatch.setattr(onnx_export, "_export", export)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger="core.embedding.onnx_export"):
        target = onnx_export.artefact("model-folder", "onnx-fp32", blocked)
        again = onnx_export.artefact("model-folder", "onnx-fp32", blocked)
    assert target == again and target.read_bytes() == b"graph of model-folder"
    assert not target.is_relative_to(blocked)
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.embedding.onnx_export"]
    assert len(warnings) == 1 and "for this process only" in warnings[0], warnings
