"""The warm batch loader: `python -m pipeline loader` keeps one Spark session and runs the loads
`python -m pipeline batch` sends it (request.py: what a load is; server.py; client.py)."""
