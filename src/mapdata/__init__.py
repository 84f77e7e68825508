"""mapdata: turn short geopolitical news items into an interactive, offline map."""

__version__ = "0.1.0"
