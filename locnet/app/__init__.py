"""Streamlit building blocks of the app (sidebar, cached loaders, page sections).

Everything that needs `streamlit` lives here; pure logic lives in locnet.app.state,
locnet.viz.maps and the rest of the package so it can be tested without a browser.
"""
