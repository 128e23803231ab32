"""Your own city and measurements: the versioned case format (docs/cases.md).

A case is a building map (PNG or GeoJSON footprints) plus sensor readings (CSV in metres
or lat/lon, dB or dBm) plus optional truth and metadata. `load.build_case` validates and
grids them into a `UserCase`; `store` reads and writes the case folder / zip (what the
Explorer downloads); `localize` runs the registry's models on a case (`python -m locnet
localize`); `geo` and `raster` hold the projections and the footprint rasteriser.
A measured campaign on any grid is the format's version 2 (`campaign`: a
`measurements.campus.CampusGrid` and a `measurements.dataset.MeasuredSample`), localized
by the measurement models that apply (`campaign_localize`) and exported from the POWDER
copy by `python -m locnet export-powder-case` (`powder_export`).
May import `inference`, `viz`, `models`, `data`, `measurements` and the base modules.
"""
