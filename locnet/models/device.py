"""Which torch device runs a model: the user's choice checked, or the best one present.

Shared by inference, evaluation, calibration, training and the benchmarks; a wrong
choice (CUDA asked for on a machine without it) is a LocNetError that says what to use.
"""

from __future__ import annotations

import torch

from locnet.errors import LocNetError


def pick_device(preference: str | torch.device = "auto") -> torch.device:
    """'auto' -> cuda > mps > cpu; an explicit device that is absent is a LocNetError."""
    if isinstance(preference, torch.device):
        preference = str(preference)
    pref = (preference or "auto").strip().lower()
    has_mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if pref == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu")
    if pref == "cpu":
        return torch.device("cpu")
    if pref.startswith("cuda"):
        if not torch.cuda.is_available():
            raise LocNetError(
                f"device '{preference}' requested but CUDA is not available (torch "
                f"{torch.__version__}, no usable GPU); use --device cpu or auto"
            )
        device = torch.device(pref)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise LocNetError(
                f"device '{preference}' does not exist: {torch.cuda.device_count()} "
                "CUDA device(s); use cuda:0 .. cuda:N-1"
            )
        return device
    if pref == "mps":
        if not has_mps:
            raise LocNetError(
                "device 'mps' requested but Apple MPS is not available; use cpu or auto"
            )
        return torch.device("mps")
    raise LocNetError(f"unknown device '{preference}'; use auto, cpu, cuda, cuda:N or mps")


def model_device(model: torch.nn.Module) -> torch.device:
    """Device of a model's first parameter or buffer (cpu for parameter-free classical models)."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")
