"""Reading, checking and writing the 8-bit gray 256x256 PNGs every dataset file is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from locnet.constants import MAP_SIZE
from locnet.errors import DatasetError
from locnet.files import atomic_write


def read_png(path: Path) -> np.ndarray:
    """8-bit gray (256, 256) array of a PNG; DatasetError naming the file if unusable."""
    try:
        with Image.open(path) as image:
            if image.size != (MAP_SIZE, MAP_SIZE):
                raise DatasetError(_size_message(path, image.size))
            if image.mode not in ("L", "1", "P", "RGB", "RGBA", "LA"):
                raise DatasetError(f"{path} has image mode {image.mode}; save it as 8-bit gray PNG")
            if image.mode in ("L", "1"):
                return np.asarray(image.convert("L"), dtype=np.uint8)
            rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
            if (rgb[..., 0] != rgb[..., 1]).any() or (rgb[..., 0] != rgb[..., 2]).any():
                raise DatasetError(
                    f"{path} is a colour image (its channels differ); maps are 8-bit gray: "
                    "save the gray values as a one-channel PNG (mode L)"
                )
            return np.ascontiguousarray(rgb[..., 0])  # gray stored as R = G = B
    except DatasetError:
        raise
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path} is not a readable PNG ({exc}); re-export or delete it") from exc


def _size_message(path: Path, size: tuple[int, int]) -> str:
    return (
        f"{path} is {size[0]}x{size[1]} pixels; every map must be {MAP_SIZE}x{MAP_SIZE} "
        "(1 m/pixel) — resize or remove it"
    )


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR header: reads 24 bytes, no decoding."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(24)
    except OSError as exc:
        raise DatasetError(f"{path} cannot be read ({exc}); check its permissions") from exc
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise DatasetError(f"{path} is not a PNG file; re-export it as PNG or delete it")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def check_size(path: Path) -> None:
    """DatasetError unless the PNG header says 256x256 (no decoding)."""
    size = png_size(path)
    if size != (MAP_SIZE, MAP_SIZE):
        raise DatasetError(_size_message(path, size))



def write_png_atomic(path: Path, array: np.ndarray) -> None:
    """Write a uint8 2-D array as PNG via a temp file + os.replace (never a half file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8))
    atomic_write(path, lambda tmp: image.save(tmp, format="PNG"), fsync=False)
