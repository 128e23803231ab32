"""Where training runs: a torchrun process group (or none), and the module the loop calls.

Data parallel: launch with torchrun (`python -m torch.distributed.run --nproc_per_node 2
-m locnet train ...`); gloo on CPU, NCCL on GPU. A world of 1 needs no group and every
collective is a no-op.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch
import torch.distributed as tdist
from torch import nn

from locnet.errors import LocNetError
from locnet.models.device import pick_device
from locnet.models.registry import model_info
from locnet.train.config import TrainConfig
from locnet.train.precision import use_bf16


class Dist:
    """This process's place in a torchrun group (world 1 = no group); collectives are no-ops alone."""

    def __init__(self, device_pref: str) -> None:
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.device = pick_device(device_pref)
        if self.world > 1:
            if self.device.type == "cuda":
                self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
                torch.cuda.set_device(self.device)
            elif self.device.type != "cpu":
                raise LocNetError(
                    f"data parallel runs on cpu (gloo) or cuda (nccl), not {self.device}"
                )
            if not tdist.is_initialized():
                tdist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def any(self, flag: bool) -> bool:
        if self.world == 1:
            return flag
        value = torch.tensor([float(flag)], device=self.device)
        tdist.all_reduce(value, op=tdist.ReduceOp.MAX)
        return bool(value.item())

    def mean(self, number: float) -> float:
        if self.world == 1:
            return number
        value = torch.tensor([number], dtype=torch.float64, device=self.device)
        tdist.all_reduce(value)
        return value.item() / self.world

    def gather(self, values: list) -> list:
        if self.world == 1:
            return list(values)
        parts: list = [None] * self.world
        tdist.all_gather_object(parts, list(values))
        return [v for part in parts for v in part]

    def barrier(self) -> None:
        if self.world > 1:
            tdist.barrier()

    def shutdown(self) -> None:
        if self.world > 1 and tdist.is_initialized():
            tdist.destroy_process_group()


class TrainingLoss(nn.Module):
    """forward = model.training_loss, so DDP sees (and syncs) every parameter it uses."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, tx_xy: torch.Tensor) -> torch.Tensor:
        return self.model.training_loss(x, tx_xy)


def use_channels_last(cfg: TrainConfig, device: torch.device) -> bool:
    """channels_last pays with bf16 on GPUs; on CPU `bench train` measured it slower in bf16."""
    return cfg.channels_last == "on" or (cfg.channels_last == "auto" and device.type == "cuda")


def wrap_for_training(model: nn.Module, cfg: TrainConfig, dist: Dist) -> tuple[bool, nn.Module]:
    """(use bf16 autocast, the module to call for the loss): DDP, then torch.compile on CUDA.

    bf16 "auto" = native bf16 on this device (locnet.train.precision)."""
    device = dist.device
    if use_channels_last(cfg, device):
        model.to(memory_format=torch.channels_last)  # in place: the optimizer keeps its tensors
    module: nn.Module = TrainingLoss(model)
    if dist.world > 1:
        module = nn.parallel.DistributedDataParallel(
            module,
            device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=model_info(cfg.model).output == "two-stage",
        )
    cuda = device.type == "cuda"
    bf16 = use_bf16(cfg.bf16, device)
    has_triton = cuda and __import__("importlib.util").util.find_spec("triton") is not None
    if cfg.compile == "on" or (cfg.compile == "auto" and has_triton):
        module = torch.compile(module)
    return bf16, module


def hardware_string(device: torch.device, world: int) -> str:
    """e.g. '2 x NVIDIA H100' or '1 x CPU (AMD EPYC ..., 2 threads)'."""
    if device.type == "cuda":
        return f"{world} x {torch.cuda.get_device_name(device)}"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{world} x {device.type.upper()} ({cpu}, {torch.get_num_threads()} threads)"

