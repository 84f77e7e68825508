"""The dashboard's pages and the UI edge they share.

dashboard.py is the frame: it draws the navigation and the sidebar filters once, then runs the chosen page. The
pages (map, timeline, relations, items, data) only render. `state` holds the cached data access every page reads,
`sidebar` the filter widgets, `launch` the server that `mapdata serve` starts. Nothing here is imported by the
library (src/mapdata), which never imports Streamlit.
"""
