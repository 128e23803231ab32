"""How much of a user's input one request may hold, checked before anything is read.

A case is a 256 x 256 map and at most one reading per pixel, so every input has a
natural size; anything far beyond it is refused with one line that names the file, the
limit and why, before its bytes are read or unpacked (a file's size from the file
system, a zip member's from the zip's central directory). With these caps one request
(reading the case and running every default model) stays within MEMORY_BUDGET_BYTES
(docs/cases.md, "Limits", gives the measured peak).
"""

from __future__ import annotations

from pathlib import Path

from locnet.cases.case import CaseError

MiB = 1 << 20
MEMORY_BUDGET_BYTES = 1536 * MiB  # one request: reading the case and running the models
MAX_READINGS = 65_536  # one per 1 m pixel of the tile at most
MAX_CSV_BYTES = 32 * MiB  # a readings CSV: 65,536 rows of up to 512 bytes
MAX_CSV_COLUMNS = 64  # the header's columns (6 are used; the rest are ignored)
MAX_LINE_BYTES = 4096  # one CSV line: bounds the fields the parser builds for it
MAX_JSON_BYTES = 32 * MiB  # GeoJSON footprints: parsed objects take ~10x their text
MAX_CASE_JSON_BYTES = 1 * MiB  # case.json: a few fields and free-form metadata
MAX_MEMBER_BYTES = 64 * MiB  # any one file of a case folder or zip, uncompressed
MAX_CASE_BYTES = 128 * MiB  # all the members of a case zip together, uncompressed
MAX_MEMBERS = 64  # files in a case zip (a downloaded case has five)
MAX_EXPANSION = 100  # uncompressed / compressed size of a zip member (a zip bomb: ~1000)
EXPANSION_FROM_BYTES = 1 * MiB  # members smaller than this may expand more (harmless)


def megabytes(size: int) -> str:
    """'12.3 MB' (MiB) for messages."""
    return f"{size / MiB:,.1f} MB"


def check_size(size: int, limit: int, name: str, why: str) -> None:
    """CaseError when `size` bytes exceed `limit`; `why` says what the limit allows."""
    if size > limit:
        raise CaseError(f"{name} is {megabytes(size)}; at most {megabytes(limit)} is read ({why})")


def read_capped(path: str | Path, name: str, limit: int, why: str) -> bytes:
    """The bytes of a file whose size is checked against `limit` before it is read.

    Also a CaseError (naming `name`) for a missing file, a folder, a symlink loop or an
    unreadable file, so callers never see an OSError."""
    path = Path(path)
    try:
        info = path.stat()
        if not path.is_file():
            raise CaseError(f"{name} is not a file; give the path of a file")
        check_size(info.st_size, limit, name, why)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # a file that grew since stat() is still capped
        check_size(len(data), limit, name, why)
        return data
    except CaseError:
        raise
    except FileNotFoundError:
        raise CaseError(f"{name} does not exist; give the path of the file") from None
    except OSError as exc:
        raise CaseError(f"{name} cannot be read ({exc.strerror or exc}); check the path") from None
