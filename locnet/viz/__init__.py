"""Map figures: a case drawn in plotly, and the same case as PNG/CSV for download.

`maps` (buildings, radio map, heatmaps; axes in metres), `markers` (sensors green,
prediction yellow, truth red), `posterior` (credible-region contours and readout
markers), `campus_map` (a measured sample on the campus grid or street tiles) and
`export` (the case picture and table files). May import `posterior`,
`data` and the base modules; used by the app and by `cases` (the `localize` outputs).
"""
