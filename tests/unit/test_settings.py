"""The settings registry (pipeline/settings.py): defaults, NYC311_* overrides, clear errors, docs.

Why: every command reads its URLs and paths from here, so a typo must stop with a message that
names the setting and the fix, and every setting must be findable in the README.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline import settings as S

pytestmark = pytest.mark.unit

NO_FILE = Path("/nonexistent/settings.toml")


def test_defaults_without_file_or_env():
    s = S.load(env={}, file=NO_FILE)
    for setting in S.REGISTRY:
        assert getattr(s, setting.name) == setting.default, setting.name


def test_shipped_file_loads_and_agrees_with_registry_defaults():
    s = S.load(env={})
    assert s.store_url.startswith("sqlite:///")
    assert s.stream_url.startswith("spool://")
    assert s.jar_cache == ".cache/jars"


def test_env_overrides_file_and_coerces_ints(tmp_path):
    f = tmp_path / "settings.toml"
    f.write_text('app_port = 9000\nstore_url = "sqlite:///tmp/x.db"\n')
    s = S.load(env={"NYC311_APP_PORT": "8123",
                    "NYC311_STORE_URL": "cassandra://127.0.0.1:9042/nyc311",
                    "NYC311_STREAM_URL": "kafka://127.0.0.1:9092/nyc311-events"}, file=f)
    assert s.app_port == 8123
    assert s.store_url == "cassandra://127.0.0.1:9042/nyc311"
    assert s.stream_url == "kafka://127.0.0.1:9092/nyc311-events"


def test_file_values_apply_when_env_is_silent(tmp_path):
    f = tmp_path / "settings.toml"
    f.write_text('app_port = 9000\nlive_interval_ms = 2000\n')
    s = S.load(env={}, file=f)
    assert (s.app_port, s.live_interval_ms) == (9000, 2000)


def test_secret_comes_only_from_env(tmp_path):
    f = tmp_path / "settings.toml"
    f.write_text('socrata_app_token = "from-file"\n')
    assert S.load(env={}, file=f).socrata_app_token == ""
    assert S.load(env={"NYC311_SOCRATA_APP_TOKEN": "t0k"}, file=f).socrata_app_token == "t0k"


def test_relative_paths_resolve_against_project_root():
    s = S.load(env={}, file=NO_FILE)
    assert s.path(s.jar_cache) == S.ROOT / ".cache" / "jars"
    assert s.path("/abs/lake") == Path("/abs/lake")


@pytest.mark.parametrize("env, names", [
    ({"NYC311_APP_PORT": "eighty"}, ["app_port", "whole number"]),
    ({"NYC311_APP_PORT": "70000"}, ["app_port", "TCP port"]),
    ({"NYC311_STORE_URL": "postgres://x/y"}, ["store_url", "sqlite:///", "cassandra://"]),
    ({"NYC311_STORE_URL": "cassandra://127.0.0.1:9042/"}, ["store_url", "keyspace"]),
    ({"NYC311_STREAM_URL": "http://x"}, ["stream_url", "kafka://"]),
    ({"NYC311_STREAM_URL": "kafka://127.0.0.1:9092"}, ["stream_url", "topic"]),
    ({"NYC311_LIVE_INTERVAL_MS": "100"}, ["live_interval_ms", "500"]),
    ({"NYC311_URL_PREFIX": "311"}, ["url_prefix", "/311/"]),
    ({"NYC311_SPARK_MASTER": "mesos://x"}, ["spark_master", "local[*]"]),
    ({"NYC311_SPARK_DRIVER_PORT": "70000"}, ["spark_driver_port", "0 for any free port"]),
    ({"NYC311_CASSANDRA_READ_CONSISTENCY": "ANY"}, ["cassandra_read_consistency", "LOCAL_ONE"]),
    ({"NYC311_CASSANDRA_WRITE_CONSISTENCY": "MOST"}, ["cassandra_write_consistency", "LOCAL_QUORUM"]),
    ({"NYC311_STREAM_MAX_OFFSETS_PER_TRIGGER": "0"}, ["stream_max_offsets_per_trigger", "at least 1"]),
    ({"NYC311_STREAM_MAX_FILES_PER_TRIGGER": "-5"}, ["stream_max_files_per_trigger", "at least 1"]),
    ({"NYC311_STREAM_TRIGGER_MS": "0"}, ["stream_trigger_ms", "at least 1"]),
    ({"NYC311_SOCRATA_POLL_S": "x"}, ["socrata_poll_s", "whole number"]),
    ({"NYC311_STREAM_DRIVER_MEMORY": "lots"}, ["stream_driver_memory", "768m"]),
    ({"NYC311_WEB_THREADS": "0"}, ["web_threads", "at least 1"]),
    ({"NYC311_WEB_LOG_LEVEL": "loud"}, ["web_log_level", "info"]),
    ({"NYC311_NGINX_CALLBACK_RATE": "lots"}, ["nginx_callback_rate", "10r/s"]),
    ({"NYC311_NGINX_LISTEN": "everywhere"}, ["nginx_listen", "ADDRESS:PORT"]),
    ({"WEB_CONCURRENCY": "-1"}, ["web_workers", "negative"]),
])
def test_bad_values_name_the_setting_and_the_fix(env, names):
    with pytest.raises(S.SettingsError) as err:
        S.load(env=env, file=NO_FILE)
    for word in names:
        assert word in str(err.value)


def test_unknown_key_in_file_is_an_error(tmp_path):
    f = tmp_path / "settings.toml"
    f.write_text('store_ulr = "sqlite:///x.db"\n')
    with pytest.raises(S.SettingsError, match="store_ulr"):
        S.load(env={}, file=f)


def test_every_setting_is_documented_in_readme():
    """README.md must name each setting in backticks, e.g. | `store_url` | ... |."""
    readme = (S.ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in S.REGISTRY if not re.search(rf"`{re.escape(s.name)}`", readme)]
    assert not missing, f"README.md does not document these settings: {', '.join(missing)}"


def test_consistency_levels_are_case_insensitive_and_writes_may_use_any():
    s = S.load(env={"NYC311_CASSANDRA_READ_CONSISTENCY": "quorum", "NYC311_CASSANDRA_WRITE_CONSISTENCY": "any"},
               file=NO_FILE)
    assert (s.cassandra_read_consistency, s.cassandra_write_consistency) == ("QUORUM", "ANY")


def test_readme_settings_table_is_the_registry():
    """The README's table is printed from the registry (`python -m pipeline.settings --markdown`):
    a setting added, removed or changed without re-printing it fails here."""
    readme = (S.ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("| setting | default | meaning |")
    end = readme.index("\n\n", start) + 1
    assert readme[start:end] == S.markdown_table(), "re-print it: python -m pipeline.settings --markdown"


def test_shipped_file_holds_overrides_only():
    """Defaults live once, in pipeline/settings.py; config/settings.toml repeats none of them."""
    import tomllib
    with open(S.CONFIG_DIR / "settings.toml", "rb") as fh:
        shipped = tomllib.load(fh)
    repeated = [k for k, v in shipped.items() if v == getattr(S.DEFAULTS, k)]
    assert not repeated, f"config/settings.toml repeats the defaults of {', '.join(repeated)}"


def test_registry_is_read_off_the_settings_fields():
    assert [s.name for s in S.REGISTRY] == [f.name for f in S.fields(S.Settings)]
    assert S.DEFAULTS == S.load(env={}, file=NO_FILE)
    assert all(s.help and s.kind in (int, str) for s in S.REGISTRY)


def test_gunicorn_conventional_names_apply_below_nyc311_ones():
    s = S.load(env={"WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "2", "GUNICORN_ACCESS_LOG": "/dev/null"}, file=NO_FILE)
    assert (s.web_workers, s.web_threads, s.web_access_log) == (3, 2, "/dev/null")
    s = S.load(env={"WEB_CONCURRENCY": "3", "NYC311_WEB_WORKERS": "5"}, file=NO_FILE)
    assert s.web_workers == 5


def test_product_code_is_handed_its_settings_not_the_global_getter():
    """One Settings object passed down: entry points load it (create_app, the CLI, gunicorn's config,
    bench.proxy) and hand it on; no module of app/ or pipeline/ reaches for the process-wide get()."""
    import ast
    offenders = []
    for folder in ("app", "pipeline"):
        for path in sorted((S.ROOT / folder).rglob("*.py")):
            if path == S.ROOT / "pipeline" / "settings.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "pipeline.settings" \
                        and any(a.name == "get" for a in node.names):
                    offenders.append(f"{path.relative_to(S.ROOT)}:{node.lineno}")
                if isinstance(node, ast.Attribute) and node.attr == "get" and isinstance(node.value, ast.Name) \
                        and node.value.id in ("settings", "settings_mod", "S"):
                    offenders.append(f"{path.relative_to(S.ROOT)}:{node.lineno}")
    assert not offenders, f"pass the Settings down instead of calling get(): {', '.join(offenders)}"
