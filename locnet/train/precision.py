"""Which numeric precision and memory layout a device trains fastest in.

bf16 autocast keeps fp32 master weights and optimizer state (torch.autocast only casts
the matmul/conv inputs), so a bf16 run stays an fp32 run in its checkpoint. It pays on
hardware with native bf16 arithmetic: CUDA GPUs that report it, and x86 CPUs with
AVX512-BF16 or AMX tiles (measured on a 2-core AMD EPYC with avx512_bf16: LocNet's
training step 224 -> 107 ms per 256 x 256 image; `python -m locnet bench train`).
Elsewhere bf16 is emulated and slower, so "auto" picks fp32 there.
"""

from __future__ import annotations

import torch

SWITCHES = ("auto", "on", "off")
_CPU_BF16_PROBES = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")


def native_bf16(device: torch.device) -> bool:
    """True when `device` does bf16 arithmetic in hardware (not emulated)."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if device.type == "cpu":
        cpu = getattr(torch, "cpu", None)
        probes = [getattr(cpu, name, None) for name in _CPU_BF16_PROBES]
        return any(probe is not None and bool(probe()) for probe in probes)
    return False


def use_bf16(switch: str, device: torch.device) -> bool:
    """Resolve a --bf16 auto|on|off switch for this device."""
    if switch not in SWITCHES:
        raise ValueError(f"bf16 switch {switch!r}: use one of {', '.join(SWITCHES)}")
    return switch == "on" or (switch == "auto" and native_bf16(device))


def precision_name(bf16: bool) -> str:
    """What a checkpoint records: 'bf16-autocast' (fp32 weights) or 'fp32'."""
    return "bf16-autocast" if bf16 else "fp32"
