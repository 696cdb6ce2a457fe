"""Read side: the read model every page and the data API ask (plans, cache, live, hotspots)."""
