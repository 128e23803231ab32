"""The benchmark files as Markdown: `python -m locnet bench models/train/posterior --json`
outputs and the measuring scripts' text files (`report --section bench-*/text`).
"""

from __future__ import annotations

import json
from pathlib import Path

from locnet.errors import LocNetError
from locnet.report.series import (
    DISPLAY_NAMES,
)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LocNetError(f"{path}: not a readable benchmark file ({exc})") from exc


def _num(value, digits: int = 1) -> str:
    return f"{value:,.{digits}f}" if isinstance(value, (int, float)) else "–"


def bench_models_table(path: Path) -> str:
    """Markdown from `python -m locnet bench models --json`: parameters, CPU latency and
    throughput per model, in the file's order."""
    data = _read_json(path)
    # files from before `bench models` measured CPU time and took --rate keep their columns
    timed = any("cpu_time_ms_batch1" in entry for entry in data.values())
    extra = " CPU time ms per map (all threads) | sensors (%) |" if timed else ""
    lines = [
        "| model | parameters | CPU ms per map (batch 1) | CPU maps/s (batch 16) | threads | repeats |" + extra,
        "|---|---|---|---|---|---|" + ("---|---|" if timed else ""),
    ]
    for name, entry in data.items():
        repeats = entry.get("repeats") or {}
        cells = (
            f" {_num(entry.get('cpu_time_ms_batch1'))} | {entry.get('sensor_rate_percent', '–')} |"
            if timed
            else ""
        )
        lines.append(
            f"| {DISPLAY_NAMES.get(name, name)} | {entry.get('params', 0):,} | "
            f"{_num(entry.get('cpu_latency_ms_batch1'))} | {_num(entry.get('cpu_maps_per_s_batch16'), 2)} | "
            f"{entry.get('cpu_threads', '–')} | {repeats.get('latency', '–')} |" + cells
        )
    return "\n".join(lines)


def bench_train_table(path: Path) -> str:
    """Markdown from `python -m locnet bench train --json`: images/s of one training step
    in fp32 and bf16 (and fed by the stream) per model, and the stream's own rate."""
    data = _read_json(path)
    lines = [
        "| model | fp32 images/s | bf16 images/s | bf16 speed-up | bf16 fed by the stream | batch | hardware |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, entry in data.items():
        if name == "stream":
            continue
        stream = entry.get("images_per_s_bf16-stream")
        lines.append(
            f"| {DISPLAY_NAMES.get(name, name)} | {_num(entry.get('images_per_s_fp32'), 2)} | "
            f"{_num(entry.get('images_per_s_bf16'), 2)} | {_num(entry.get('speedup_bf16'), 2)}x | "
            f"{_num(stream, 2) if stream is not None else '–'} | {entry.get('batch', '–')} | "
            f"{entry.get('hardware', '–')} |"
        )
    stream = data.get("stream")
    if isinstance(stream, dict):
        lines += [
            "",
            f"The stream alone: {_num(stream.get('samples_per_s'))} samples/s with "
            f"{stream.get('workers', '?')} worker(s) ({stream.get('samples', '?')} samples).",
        ]
    return "\n".join(lines)


POSTERIOR_STEPS = {
    "model_predict": "the model (one forward pass)",
    "posterior_softmax": "posterior softmax",
    "readout_mode": "readout `mode`",
    "readout_mean": "readout `mean`",
    "readout_median": "readout `median`",
    "regions_50_90": "50 / 90 % regions",
    "expected_error": "expected error",
    "predict_total": "`predict`, all of it",
    "predict_total_tta": "`predict` with test-time augmentation",
}


def bench_posterior_table(path: Path) -> str:
    """Markdown from `python -m locnet bench posterior --json`: ms per map of each step."""
    data = _read_json(path)
    steps = data.get("ms_per_map") or {}
    lines = ["| step | ms per map |", "|---|---|"]
    lines += [
        f"| {label} | {_num(steps[key], 2)} |"
        for key, label in POSTERIOR_STEPS.items()
        if key in steps
    ]
    lines += [
        "",
        f"Checkpoint `{data.get('checkpoint', '?')}`, device {data.get('device', '?')} "
        f"({data.get('threads', '?')} threads, {data.get('cpu', '?')}), torch {data.get('torch', '?')}.",
    ]
    return "\n".join(lines)


def text_file_block(path: Path) -> str:
    """A text file written by a measuring script, quoted as it is."""
    return "```text\n" + path.read_text(encoding="utf-8").rstrip("\n") + "\n```"
