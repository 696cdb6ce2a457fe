"""WSGI entry point: `gunicorn -c config/gunicorn.conf.py app.wsgi:server`."""
from app.main import create_app

app = create_app()
server = app.server
