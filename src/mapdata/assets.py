"""Leaflet and its friends, copied from the XStatic packages into the app's static/ folder and served locally."""

from __future__ import annotations

import shutil
from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet

#: where Streamlit serves the app's static/ folder (server.enableStaticServing); absolute, so it resolves
#: the same from inside the map component's iframe
STATIC_URL = "/app/static"
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"

# the map's layers are drawn by mapdata.js with plain Leaflet (no folium Popup, so no jQuery)
LEAFLET_JS = [("leaflet", f"{STATIC_URL}/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", f"{STATIC_URL}/leaflet/leaflet.css")]
_PACKAGES = {"leaflet": Path(xs_leaflet.BASE_DIR)}


def install_static(dest: Path = STATIC_DIR) -> Path:
    """Copy the packaged assets into `dest` once (and again after a package upgrade); returns dest."""
    for name, source in _PACKAGES.items():
        target = dest / name
        marker = target / ".source"
        if marker.exists() and marker.read_text() == str(source):
            continue
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        marker.write_text(str(source))
    return dest
