"""The 411 on the 311: pipeline package (ingest, rollups, stores, read API, streaming)."""
