"""The 411 on the 311: the analysts' Dash application."""
