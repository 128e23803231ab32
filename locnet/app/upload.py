"""Explorer, "Upload a case": the source switch, the upload form and the uploaded case's map.

The files are parsed by locnet.cases (cached on their bytes); a CaseError is shown as
st.error, dropped readings as st.warning. The parsed case lives in the plain session key
keys.UPLOADED, so it survives a visit to another page (file widgets do not). A tile case
(locnet-case/1) then runs exactly like a dataset case (locnet.app.upload_case.UploadedCase);
a campaign case (locnet-case/2: a zip, or its case.json with its readings CSV) is a
measured sample, shown with the measurement models that apply to it
(locnet.app.real_explorer.campaign_case_view).
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import streamlit as st

from locnet.app import state as S
from locnet.app.binding import bind
from locnet.app.charts import show_chart
from locnet.app.examples import Example, form_values, list_examples, load_example
from locnet.app.keys import (
    CASE_SOURCE,
    CASE_SOURCES,
    EXAMPLE,
    SOURCE_DATASET,
    SOURCE_UPLOAD,
    UPLOADED,
)
from locnet.app.latlon_hover import add_latlon_hover
from locnet.app.real_explorer import campaign_case_view
from locnet.app.upload_case import UploadedCase, explorer_case, form_wording
from locnet.cases.campaign import CampaignCase, read_any_case_zip
from locnet.cases.case import FIT_CROP_OR_PAD, FIT_EXACT, CaseError, UserCase
from locnet.cases.limits import MAX_CASE_BYTES, MAX_CSV_BYTES, MAX_READINGS
from locnet.cases.store import CASE_JSON
from locnet.constants import PIXEL_M
from locnet.report.display import plural
from locnet.viz.maps import case_figure

POWER_KEY, CENTER_KEY, FIT_KEY = "upload_tx_power", "upload_center", "upload_fit"
EXAMPLE_PICK_KEY = "upload_example_pick"
UPLOAD = "upload"  # where an uploaded case.json and its readings are read from
TRUTH_SUFFIX = re.compile(r"\s*·\s*truth at \([^)]*\) m")

SOURCE_LABELS = {SOURCE_DATASET: "Dataset", SOURCE_UPLOAD: "Upload a case"}
MAP_TYPES = ["png", "geojson", "json", "zip"]
VALUE_TEXT = {"gain_db": "path gain (dB)", "rss_dbm": "received power (dBm)"}
POSITION_TEXT = {"metres": "map metres (x_m, y_m)", "latlon": "lat/lon (WGS 84)"}


def source_picker() -> str:
    """Dataset, upload or real measurements; returns S.SOURCE_DATASET, S.SOURCE_UPLOAD or
    S.SOURCE_REAL (the POWDER samples: locnet.app.real_explorer)."""
    from locnet.app.keys import SOURCE_REAL

    labels = {**SOURCE_LABELS, SOURCE_REAL: "Real measurements (POWDER)"}
    st.radio(
        "Case from",
        CASE_SOURCES,
        format_func=labels.get,
        horizontal=True,
        **bind(CASE_SOURCE),
    )
    return st.session_state[CASE_SOURCE]


def parse_center(text: str) -> tuple[float, float] | None:
    """'60.1778, 24.9490' -> (lat, lon); '' -> None; anything else a CaseError."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        lat, lon = (float(v) for v in text.replace(";", ",").split(","))
    except ValueError:
        raise CaseError(
            f"the 'Tile centre' field {text!r} is not 'lat, lon' (two numbers)"
        ) from None
    return lat, lon


def case_json_named(map_name: str, map_bytes: bytes) -> dict | None:
    """The parsed case.json when the uploaded .json is one (its format locnet-case/...),
    else None (a GeoJSON map)."""
    if not map_name.lower().endswith(".json"):
        return None
    try:
        meta = json.loads(map_bytes)
    except ValueError:
        return None
    fmt = meta.get("format") if isinstance(meta, dict) else None
    return meta if isinstance(fmt, str) and fmt.startswith("locnet-case/") else None


def readings_member(meta: dict) -> str:
    """The readings file case.json names (its base name, as a case zip holds it)."""
    named = meta.get("readings")
    return named.replace("\\", "/").rsplit("/", 1)[-1] if isinstance(named, str) else "readings.csv"


def zip_of_case_json(readings_name: str, map_bytes: bytes, readings_bytes: bytes) -> bytes:
    """A case zip of an uploaded case.json and readings CSV (the CSV under the name
    case.json gives it), read as a case zip upload is."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(CASE_JSON, map_bytes)
        archive.writestr(readings_name, readings_bytes)
    return out.getvalue()


def _v1_only(data: bytes, where: str) -> bool:
    """Whether a case zip is a tile case (locnet-case/1), whose form fields apply."""
    from locnet.cases.case import CAMPAIGN_FORMAT
    from locnet.cases.schema import case_format
    from locnet.cases.store import load_case_json, with_zip

    fmt = with_zip(data, where, lambda read, w: case_format(load_case_json(read, w), w))
    return fmt != CAMPAIGN_FORMAT


@st.cache_data(max_entries=8, show_spinner=False)
def parse_upload(
    map_name: str,
    map_bytes: bytes,
    readings_name: str | None,
    readings_bytes: bytes | None,
    tx_power_dbm,
    center,
    fit: str,
) -> UserCase | CampaignCase:
    """The case of the uploaded files: a case zip of either format, a campaign case.json
    with its readings CSV, or a map plus a readings CSV. The form's transmit power, tile
    centre and crop apply to tile cases only (a campaign's case.json holds its own)."""
    from locnet.cases.load import build_case

    meta = case_json_named(map_name, map_bytes)
    if meta is not None:
        if readings_bytes is None:
            raise CaseError(f"{map_name} is a case.json: upload its readings CSV too")
        named = readings_member(meta)
        try:
            case = read_any_case_zip(zip_of_case_json(named, map_bytes, readings_bytes), UPLOAD)
        except CaseError as exc:  # name the files as uploaded, not as zip members
            text = str(exc).replace(f"{UPLOAD}/{CASE_JSON}", map_name)
            raise CaseError(text.replace(f"{UPLOAD}/{named}", readings_name)) from None
        if isinstance(case, CampaignCase):
            case.readings_file = readings_name
        return case
    if map_name.lower().endswith(".zip"):
        overrides = {"tx_power_dbm": tx_power_dbm, "center": center}
        overrides["fit"] = fit if fit != FIT_EXACT else None
        tile = _v1_only(map_bytes, map_name)
        return read_any_case_zip(map_bytes, map_name, **(overrides if tile else {}))
    if readings_bytes is None:
        raise CaseError(
            f"upload the readings CSV too (or a case .zip holding both). {upload_limit_text()}"
        )
    return build_case(
        map_bytes,
        map_name,
        readings_bytes,
        readings_name,
        tx_power_dbm=tx_power_dbm,
        center=center,
        fit=fit,
        metadata={"title": f"{map_name} + {readings_name}"},
    )


def upload_limit_text() -> str:
    """What the upload boxes refuse, said where it can be seen: Streamlit tells of a file
    over its size limit only in a tooltip on the file, and the page then sees no file."""
    limit = st.get_option("server.maxUploadSize")
    return (
        f"A file over {limit} MB is refused by the upload box itself (the file shows a red "
        f"mark); a readings CSV may be at most {MAX_CSV_BYTES >> 20} MB ({MAX_READINGS:,} "
        f"readings) and a case zip at most {MAX_CASE_BYTES >> 20} MB unpacked."
    )


def load_example_into(state, example: Example) -> None:
    """Load an example as if its files were uploaded, and fill the form's fields it needs
    (a callback: widget values may be set before the widgets are drawn)."""
    values = form_values(example)
    state[POWER_KEY] = values["tx_power_dbm"]
    state[CENTER_KEY] = values["center"]
    state[FIT_KEY] = False
    state[UPLOADED] = load_example(example)
    state[EXAMPLE] = example.name


def example_picker() -> None:
    """'Try an example': the example cases with their labels, and a Load button."""
    examples = list_examples()
    if not examples:
        return
    by_name = {e.name: e for e in examples}
    c_pick, c_load = st.columns([4, 1], vertical_alignment="bottom")
    name = c_pick.selectbox(
        "Try an example",
        list(by_name),
        format_func=lambda n: by_name[n].label,
        key=EXAMPLE_PICK_KEY,
        help="Example cases in examples/: one where LocNet wins, one where a classical "
        "method wins (measured by examples/make_demo_cases.py), a geographic one, and real "
        "measured POWDER samples (examples/campaigns, campaign cases).",
    )
    state = st.session_state
    c_load.button(
        "Load example",
        icon=":material/science:",
        on_click=lambda: load_example_into(state, by_name[state.get(EXAMPLE_PICK_KEY, name)]),
        width="stretch",
    )


def upload_form() -> UploadedCase | None:
    """The upload widgets; the uploaded case (kept in the session) or None yet."""
    state = st.session_state
    example_picker()
    c_map, c_readings = st.columns(2)
    map_file = c_map.file_uploader(
        "Building map: 256 x 256 PNG, GeoJSON footprints, a case .zip or a campaign's case.json",
        type=MAP_TYPES,
        key="upload_map",
        help="PNG: buildings non-zero, 1 m/pixel. GeoJSON: polygons in "
        "lon/lat or a metric CRS, with a bbox member or the tile centre below. A .zip is "
        "what 'Download case' or `export-powder-case` gives; a campaign case's case.json "
        "(locnet-case/2) goes with its readings CSV.",
    )
    readings = c_readings.file_uploader(
        "Readings (CSV)",
        type=["csv"],
        key="upload_readings",
        help="Header x_m,y_m or lat,lon, and gain_db or rss_dbm; optional "
        "truth_x_m,truth_y_m or truth_lat,truth_lon (docs/cases.md).",
    )
    c_power, c_centre, c_fit = st.columns([1, 1.4, 1])
    power = c_power.number_input(
        "Transmit power (dBm), for rss_dbm", value=None, step=1.0, key=POWER_KEY
    )
    centre = c_centre.text_input(
        "Tile centre 'lat, lon' (GeoJSON without bbox, lat/lon readings on a PNG)",
        key=CENTER_KEY,
    )
    crop = c_fit.checkbox("Crop or pad a bounding box that is not 256 m", key=FIT_KEY)
    if map_file is not None:
        try:
            state[UPLOADED] = parse_upload(
                map_file.name,
                map_file.getvalue(),
                None if readings is None else readings.name,
                None if readings is None else readings.getvalue(),
                power,
                parse_center(centre),
                FIT_CROP_OR_PAD if crop else FIT_EXACT,
            )
            state[EXAMPLE] = None
        except CaseError as exc:
            state[UPLOADED] = None
            st.error(form_wording(str(exc)))
            return None
    elif state.get(UPLOADED) is not None:
        example = {e.name: e for e in list_examples()}.get(state.get(EXAMPLE) or "")
        if example is not None:
            st.info(f"Example loaded: **{example.label}** ({example.files_text}).")
        else:
            st.info("Showing the case uploaded earlier; upload files to replace it.")
    uploaded = state.get(UPLOADED)
    if isinstance(uploaded, CampaignCase):
        example = uploaded.metadata.get("example")
        name = map_file.name if map_file is not None else f"examples/{example or 'case'}"
        campaign_case_view(uploaded, name)
        return None
    if uploaded is None:
        if map_file is None:
            st.info(
                "Upload a building map and readings, or a case .zip, or press **Load "
                "example** above (docs/cases.md describes the format). "
                f"{upload_limit_text()}"
            )
        return None
    return explorer_case(state[UPLOADED])


def case_summary(case: UploadedCase) -> None:
    """Sensors, units and where the tile is; every warning of the validation."""
    user = case.user
    meta = user.metadata
    units = (
        f"{POSITION_TEXT.get(meta.get('positions'), 'map metres')}, "
        f"{VALUE_TEXT.get(meta.get('value'), 'path gain (dB)')}"
    )
    if user.tx_power_dbm is not None:
        units += f" at {user.tx_power_dbm:g} dBm transmit power"
    st.markdown(f"**{plural(len(case.sensors_xy), 'sensor')}** uploaded · {units}")
    if user.georef is not None:
        st.caption(
            f"Tile in {user.georef.crs}, west edge {user.georef.x_west:.1f} m, "
            f"north edge {user.georef.y_north:.1f} m"
        )
    for warning in user.warnings:
        st.warning(form_wording(warning))


def case_title(case: UploadedCase) -> str:
    """The case's own title and where its truth is, said once even when the title came
    from a downloaded case that already said it."""
    title = TRUTH_SUFFIX.sub("", str(case.user.metadata.get("title") or "uploaded case"))
    if case.truth_xy is not None:
        title += (
            f" · truth at ({case.truth_xy[0] * PIXEL_M:.0f}, {case.truth_xy[1] * PIXEL_M:.0f}) m"
        )
    return title


def case_map(case: UploadedCase, title: str, height: int) -> None:
    """The uploaded case's map (not clickable: its sensors come with their readings)."""
    fig = S.reuse_figure(
        st.session_state,
        "case_map",
        (S.case_key(st.session_state), title),
        lambda: add_latlon_hover(
            case_figure(
                case.buildings,
                sensors_xy=case.sensors_xy,
                truth_xy=case.truth_xy,
                gains_db=case.gains_db,
                title=title,
                height=height,
            ),
            case.user.georef,
        ),
    )
    show_chart(fig, key="upload_case_map")
