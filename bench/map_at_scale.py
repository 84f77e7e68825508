"""Filter change -> aggregates, and map build + render, on an existing database (e.g. 100,000 ingested items).

    python bench/generate.py --items 100000 --out /tmp/feed-100k.jsonl
    MAPDATA_DB_URL=sqlite:////tmp/p100k.sqlite mapdata ingest /tmp/feed-100k.jsonl
    python bench/map_at_scale.py sqlite:////tmp/p100k.sqlite

The first line is cold (per-data-set lookups are made then); the rest are what a user's filter change costs.
"""

import sys
import time

from mapdata import aggregate, mapview, settings, store
from mapdata.filters import Filters


def main() -> None:
    """Print load time, then per filter: apply + aggregate seconds, map build + render seconds, HTML bytes."""
    url = sys.argv[1] if len(sys.argv) > 1 else settings.database_url()
    started = time.perf_counter()
    frames = store.load_frames(store.open_engine(url))
    print(f"load_frames {time.perf_counter() - started:.2f} s, {len(frames.items):,} items")
    for filters in [Filters(), Filters(), Filters(topics=("military",)), Filters(countries=("FR",))]:
        started = time.perf_counter()
        view = filters.apply(frames)
        actors, pairs = aggregate.view(view, filters.min_items, filters.border_only)
        aggregated = time.perf_counter()
        page = mapview.build_map(view, actors, pairs).get_root().render()
        done = time.perf_counter()
        print(
            f"{filters if filters.active else 'no filter'}: apply+aggregate {1000 * (aggregated - started):.0f} ms, "
            f"map {1000 * (done - aggregated):.0f} ms, {len(page.encode()):,} bytes, {len(actors)} actors, "
            f"{len(pairs):,} pairs"
        )


if __name__ == "__main__":
    main()
