"""gunicorn settings for the dashboard (Procfile `web:`; docs/OPERATIONS.md).

Sizing: a Dash callback is mostly Python (pandas, JSON), so processes scale with CPUs; threads
cover the time a callback waits on the store (Cassandra round trips, SQLite locks). The live page's
polling is cheap (shared one-second snapshot per worker), so a few workers serve hundreds of tabs.
Every knob is a setting (pipeline/settings.py: app_host, app_port, web_*), so it is overridden like
any other (NYC311_WEB_WORKERS=4, config/settings.toml) or by its conventional name (WEB_CONCURRENCY,
GUNICORN_THREADS, ...).
"""
import multiprocessing

from pipeline.settings import load

_cpus = multiprocessing.cpu_count()
_settings = load()

# The settings app_host/app_port (NYC311_APP_HOST / NYC311_APP_PORT), not $PORT: honcho (`make run`)
# exports PORT=5000 to every Procfile process, which would move the app off its documented port.
# On a platform that assigns $PORT, set NYC311_APP_PORT=$PORT. `-b` on the command line wins.
bind = f"{_settings.app_host}:{_settings.app_port}"
workers = _settings.web_workers or min(max(2, _cpus), 8)
worker_class = "gthread"
threads = _settings.web_threads

# Preload off: each worker imports the app after the fork and opens its own store connection on
# first use (app/data.py), so no SQLite handle or Cassandra session is ever shared across a fork.
preload_app = False

timeout = _settings.web_timeout_s   # a worker silent this long is restarted
graceful_timeout = 20
keepalive = 30            # behind nginx's upstream keepalive pool, whose keepalive_timeout (20 s) is shorter
# Request size limits (issue 10): a request line (method + URL) of at most 8 KB (the app reads at most
# 4 KB of a query string, app/state.MAX_SEARCH), at most 50 header fields of at most 8 KB each.
limit_request_line = 8190
limit_request_fields = 50
limit_request_field_size = 8190
max_requests = _settings.web_max_requests  # recycle workers now and then (0: never)
max_requests_jitter = 500

accesslog = _settings.web_access_log
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = _settings.web_error_log
loglevel = _settings.web_log_level
forwarded_allow_ips = _settings.web_forwarded_allow_ips
proc_name = "nyc311-web"
