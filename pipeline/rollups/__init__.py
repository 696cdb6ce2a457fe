"""Rollups: the catalogue of every aggregate (tables.py) and the batch job that counts them from the lake."""
