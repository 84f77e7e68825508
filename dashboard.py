"""mapdata's dashboard: the frame every page shares. It draws the navigation and the sidebar filters once, then
runs the chosen page, which only renders (pages/). Start it with `mapdata serve`."""

import streamlit as st

from pages import account, live, sidebar, state

st.set_page_config(page_title="mapdata", page_icon="🗺️", layout="wide")

page = st.navigation(
    [
        st.Page("pages/map.py", title="Map", default=True),
        st.Page("pages/timeline.py", title="Timeline", url_path="timeline"),
        st.Page("pages/relations.py", title="Relations", url_path="relations"),
        st.Page("pages/items.py", title="Items", url_path="items"),
        st.Page("pages/trends.py", title="Trends", url_path="trends"),
        st.Page("pages/data.py", title="Data", url_path="data"),
    ]
)
sidebar.draw(state.frames(*state.stored()))
view = state.current()  # after the widgets: a first run reads the filters a URL gives them
sidebar.footer(view.caption(), view.filters.active, view.data)
account.sidebar(state.engine(view.url))  # on a network: who is signed in to edit
live.follow(view)  # new items show up without a reload
page.run()
