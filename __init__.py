"""The repository's top folder is the dashboard: installed as the package `mapdata.app`.

`pip install .` puts dashboard.py, pages/, static/, .streamlit/ and data/ inside the installed package, beside
the library, where `mapdata.settings` finds them with importlib.resources. This file makes the folder a regular
package so that an editable install (`pip install -e .`) finds them the same way. Nothing here is imported at run
time; the dashboard's entry file is dashboard.py.
"""
