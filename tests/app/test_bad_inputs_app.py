"""Fault-probe regressions in the app: a checkpoint folder with schema-broken files and a
dataset path that is a symlink loop are messages, never an exception on every page."""

from __future__ import annotations

from pathlib import Path

import torch

from locnet.models import checkpoints as ckpt
from locnet.models.registry import create_model


def _texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def test_schema_broken_checkpoints_are_warnings_naming_the_file(make_app, tmp_path: Path):
    good = ckpt.save_checkpoint(tmp_path / "mslocnet.pt", "mslocnet", create_model("mslocnet"))
    payload = torch.load(good, weights_only=True)
    ckpt.atomic_torch_save({"format": ckpt.FORMAT}, tmp_path / "locnet.pt")
    ckpt.atomic_torch_save({**payload, "options": "x"}, tmp_path / "locnet-bbce.pt")
    at = make_app(checkpoint_dir=tmp_path).run()
    assert not at.exception
    warnings = _texts(at.warning)  # on the page, once; the sidebar stays quiet
    assert "locnet.pt" in warnings and "locnet-bbce.pt" in warnings and not at.sidebar.warning


def test_a_symlink_loop_as_dataset_is_an_error_message(make_app, tmp_path: Path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    at = make_app(dataset_dir=loop).run()
    assert not at.exception
    assert "symbolic link loop" in _texts(at.error)
