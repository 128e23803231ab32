"""Process state beyond the weights, for resume files and distributed training.

`rng_state`/`set_rng_state` capture and restore the global torch, CUDA, numpy and Python
RNGs as plain types and tensors (loadable with weights_only=True), so a resumed run
continues mid-epoch as if never stopped; `params_digest` lets every DDP rank check
that its replica equals the others.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import torch
from torch import nn


def rng_state() -> dict:
    """Global RNG states as plain types/tensors (loadable with weights_only=True)."""
    _, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": {
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
        "python": random.getstate(),
    }


def set_rng_state(state: dict) -> None:
    """Restore what rng_state() captured (resume in the middle of an epoch)."""
    torch.set_rng_state(state["torch"])
    if (
        state["cuda"]
        and torch.cuda.is_available()
        and len(state["cuda"]) == torch.cuda.device_count()
    ):
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state(
        ("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached"])
    )
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


def params_digest(model: nn.Module) -> str:
    """sha256 of all parameters' bytes: equal on every rank iff the replicas are identical."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        flat = tensor.detach().cpu().reshape(-1).contiguous()  # 0-dim buffers too
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()
