"""Producers: what sends live events to the stream (synthetic, replay of exports, the city's API)."""
