"""The Streamlit app's rooms: everything that imports `streamlit`, plus its pure state.

Pure and tested without a browser: `keys` (session-state keys and defaults), `state`
and `clicks` (session handlers), `models` (a case run through the chosen models),
`upload_case`. Streamlit pieces: `sidebar`, `cache` (cached loaders), `binding`,
`explorer_case`, `explorer_results`, `explorer_table`, `results_picker`, `upload`,
`latlon_hover`. `app.py` and `app_pages/` call these; may import every other room.
"""
