"""A campaign case (locnet-case/2) uploaded to the Explorer, in AppTest: a zip, or its
case.json with its readings CSV, opens the measured view with the models `localize --case`
runs and the same errors; a sample on the split's training side is labelled leakage; a
bad case is one st.error naming the file and the field; "Try an example" offers the
committed campaign examples as real measured samples."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from locnet.app.examples import REAL_LABEL, list_examples
from locnet.app.keys import CASE_SOURCE, SOURCE_REAL, SOURCE_UPLOAD, UPLOADED
from locnet.app.real_explorer import PAGE_CAPTION
from locnet.cases.campaign import CampaignCase, read_campaign
from locnet.cases.campaign_localize import campaign_row, localize_campaign

CAMPAIGNS = Path(__file__).resolve().parents[2] / "examples" / "campaigns"
TYPICAL = CAMPAIGNS / "powder-random-typical"


def case_zip(folder: Path, **changes) -> bytes:
    """The case folder as a zip; `changes` replace a file's text by a function of it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in ("case.json", "readings.csv"):
            text = (folder / name).read_text()
            archive.writestr(name, changes.get(name.replace(".", "_"), lambda t: t)(text))
    return out.getvalue()


def shown_errors(at) -> dict[str, float]:
    table = at.table[0].value
    return {m: float(e) for m, e in zip(table["model"], table["error (m)"])}


def localized_errors(folder: Path) -> dict[str, float]:
    case = read_campaign(folder)
    return {a.model: campaign_row(a, case)["error_m"] for a in localize_campaign(case).answers}


def upload(at, map_file, readings=None):
    at.file_uploader[0].set_value(map_file)
    at.file_uploader[1].set_value(readings)
    return at.run()


@pytest.fixture(scope="module")
def expected() -> dict[str, float]:
    return localized_errors(TYPICAL)


def test_a_campaign_zip_opens_the_measured_view_with_localizes_errors(make_app, expected):
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    at = upload(at, ("typical.zip", case_zip(TYPICAL), "application/zip"))
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert isinstance(at.session_state[UPLOADED], CampaignCase)
    assert any("Campaign case" in m.value and "powder, split random" in m.value
               for m in at.markdown)  # fmt: skip
    shown = shown_errors(at)
    assert list(shown) == list(expected)  # every model that applies, in localize's order
    for spec, error in expected.items():
        assert shown[spec] == pytest.approx(error, abs=0.051), spec  # the table rounds to 0.1
    assert not at.warning  # a test sample: no leakage note
    assert any(
        t.get("type") == "heatmap" for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    )


def test_case_json_and_readings_upload_the_same_case(make_app, expected):
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    at = upload(
        at,
        ("case.json", (TYPICAL / "case.json").read_bytes(), "application/json"),
        ("my-readings.csv", (TYPICAL / "readings.csv").read_bytes(), "text/csv"),
    )
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert shown_errors(at) == pytest.approx(
        {k: round(v, 1) for k, v in expected.items()}, abs=0.051
    )


def test_a_training_sample_is_labelled_leakage(make_app):
    def to_grid(text: str) -> str:
        meta = json.loads(text)
        meta["campaign"]["split"] = "grid"  # the random split's test sample trains grid's models
        return json.dumps(meta)

    data = case_zip(TYPICAL, case_json=to_grid)
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    at = upload(at, ("leak.zip", data, "application/zip"))
    assert not at.exception and not at.error, [e.value for e in at.error]
    (warning,) = at.warning
    assert "training side" in warning.value and "leakage, not a test" in warning.value
    assert at.table


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"readings_csv": lambda t: t.replace(",-58.37207357291732", ",nan")}, "rss_db"),
        (
            {"readings_csv": lambda t: t.replace("40.76853942871094", "41.5")},
            "receiver position(s) (lat, lon)",
        ),
    ],
    ids=["nan-rss", "receiver-off-the-grid"],
)
def test_a_bad_campaign_case_is_one_error_naming_file_and_field(make_app, changes, field):
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    at = upload(at, ("bad.zip", case_zip(TYPICAL, **changes), "application/zip"))
    assert not at.exception and not at.table
    (error,) = at.error
    assert "bad.zip/readings.csv" in error.value and field in error.value, error.value


def test_a_bad_readings_file_beside_case_json_is_named_as_uploaded(make_app):
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    text = (TYPICAL / "readings.csv").read_text().replace(",-58.37207357291732", ",nan")
    at = upload(
        at,
        ("case.json", (TYPICAL / "case.json").read_bytes(), "application/json"),
        ("mine.csv", text.encode(), "text/csv"),
    )
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("mine.csv") and "rss_db" in error.value, error.value


def test_the_campaign_examples_are_offered_as_real_samples(make_app):
    examples = [e for e in list_examples() if e.name.startswith("campaigns/")]
    assert {e.name for e in examples} >= {
        "campaigns/powder-random-typical",
        "campaigns/powder-two-transmitters",
    }
    assert all(e.label.startswith(REAL_LABEL) for e in examples)
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    at.selectbox(key="upload_example_pick").set_value("campaigns/powder-two-transmitters")
    next(b for b in at.button if b.label == "Load example").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Example loaded" in i.value and REAL_LABEL in i.value for i in at.info)
    assert any("not solved yet" in i.value for i in at.info) and not at.table


def test_the_real_source_says_what_it_shows(make_app):
    at = make_app(**{CASE_SOURCE: SOURCE_REAL}).run()
    assert not at.exception
    assert at.caption[0].value == PAGE_CAPTION and "city" not in PAGE_CAPTION
