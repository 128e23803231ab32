"""Size limits of a user's input, checked before the bytes are read or parsed (fault probes
N28, N111): a file far beyond what a case can hold is one line naming the limit and why."""

from __future__ import annotations

import pytest

from locnet.cases.case import CaseError
from locnet.cases.footprints import parse_json
from locnet.cases.limits import MAX_CSV_BYTES, MAX_JSON_BYTES, MAX_READINGS, read_capped
from locnet.cases.readings import parse_readings


def test_a_huge_file_is_refused_from_its_size_before_reading(tmp_path):
    """N28: a 2 GB GeoJSON was read whole (4.5 GB RSS, 21 s) before being refused."""
    big = tmp_path / "big.geojson"
    with big.open("wb") as handle:
        handle.truncate(2 << 30)  # sparse: nothing is written to disk
    with pytest.raises(CaseError) as info:
        read_capped(big, "--buildings big.geojson", MAX_JSON_BYTES, "footprints of one tile")
    assert str(info.value) == (
        "--buildings big.geojson is 2,048.0 MB; at most 32.0 MB is read (footprints of one tile)"
    )
    small = tmp_path / "s.csv"
    small.write_bytes(b"x_m,y_m,gain_db\n")
    assert read_capped(small, "s.csv", 100, "why") == b"x_m,y_m,gain_db\n"


def test_a_missing_path_a_folder_and_a_symlink_loop_are_one_line(tmp_path):
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    for path, message in (
        (tmp_path / "none.csv", "does not exist"),
        (tmp_path, "is not a file"),
        (loop, "cannot be read"),
    ):
        with pytest.raises(CaseError, match=message):
            read_capped(path, str(path), 100, "why")


def test_oversized_geojson_bytes_are_refused_before_decoding():
    with pytest.raises(CaseError, match=r"b.geojson is 32.0 MB; at most 32.0 MB|is 3\d\.\d MB"):
        parse_json(b" " * (MAX_JSON_BYTES + 1), "b.geojson")


def test_deeply_nested_json_names_the_file():
    with pytest.raises(CaseError, match="b.geojson is nested too deeply"):
        parse_json(b"[" * 100_000 + b"]" * 100_000, "b.geojson")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"x_m,y_m,gain_db\n" + b"1" * MAX_CSV_BYTES, r"r.csv is 32.0 MB; at most 32.0 MB is read"),
        (
            b"x_m,y_m,gain_db\n1,2,-80\n" + b"9," * 3000 + b"\n",
            r"r.csv: line 3 is 6,000 bytes long; a line may have at most 4,096",
        ),
        (b",".join(b"c%d" % i for i in range(100)) + b"\n1\n", "r.csv has 100 columns; at most 64"),
        (
            b"x_m,y_m,gain_db\n" + b"1,2,-80\n" * (MAX_READINGS + 5),
            "r.csv has 65,541 readings; at most 65,536",
        ),
    ],
    ids=["bytes", "line", "columns", "rows"],
)
def test_readings_beyond_the_limits_are_refused_before_parsing(data, message):
    with pytest.raises(CaseError, match=message):
        parse_readings(data, "r.csv")


def test_unused_columns_are_not_kept():
    text = b"x_m,note,y_m,gain_db\n" + b"1,hello,2,-80\n3,bye,4,-90\n"
    parsed = parse_readings(text, "r.csv")
    assert parsed.x_m.tolist() == [1.0, 3.0] and parsed.gains_db.tolist() == [-80.0, -90.0]
