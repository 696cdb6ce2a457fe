"""gunicorn settings for the dashboard (Procfile `web:`)."""
import multiprocessing
import os

bind = f"{os.environ.get('NYC311_APP_HOST', '127.0.0.1')}:{os.environ.get('PORT', os.environ.get('NYC311_APP_PORT', '8050'))}"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 60
graceful_timeout = 20
keepalive = 5
accesslog = "-"
