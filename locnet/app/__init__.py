"""The Streamlit app's rooms: everything that imports `streamlit`, plus its pure state.

Pure and tested without a browser: `keys` (session-state keys and defaults), `state`
and `clicks` (session handlers), `models` (a case run through the chosen models),
`upload_case`, `examples` (the upload examples), `tour` (the guided tour's steps),
`sequence` (sensors one by one). Streamlit pieces: `sidebar`, `cache` (cached loaders),
`binding`, `charts`, `landing`, `tour_panel`, `explorer_case`, `explorer_results`,
`explorer_sequence`, `explorer_table`, `gallery` (the Cases cards), `results_picker`,
`upload`, `latlon_hover`. `app.py` and `app_pages/` call these; may import every other
room.
"""
