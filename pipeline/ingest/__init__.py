"""Ingest: export CSVs and the city's API -> raw columns -> the normalised request record (schema.py)."""
