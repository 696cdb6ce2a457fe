"""Helpers shared by the unit, integration and browser tests (hand-made requests, served apps,
stream jobs, fuzz inputs). One package, imported as tests.support.X, so no test module edits
sys.path to reach another folder's helpers."""
