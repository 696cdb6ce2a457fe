"""One registry of settings: each default lives once, in the fields of `Settings` below.

Why one place: the app, gunicorn, nginx, the batch job, the streaming job and the tests must agree
on where the rollups live, where the stream comes from and how the servers are sized; scaling out is
only a matter of changing these values. config/settings.toml holds overrides only, NYC311_*
environment variables override it, and the README's table is printed from here (`python -m
pipeline.settings --markdown`; a unit test keeps them equal). Secrets (the Socrata app token) come
only from the environment and are never written to config/.
"""
from __future__ import annotations

import os
import re
import sys
import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
# Reference data the product carries (boundaries, populations, the real sample), sources in data/README.md.
DATA_DIR = ROOT / "data"
ENV_PREFIX = "NYC311_"


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the setting and the fix."""


def _setting(default: object, help: str, secret: bool = False, alias: str = ""):
    """A Settings field with its help text; `alias` is a conventional environment name also honoured
    (gunicorn's WEB_CONCURRENCY), below NYC311_<NAME>."""
    return field(default=default, metadata={"help": help, "secret": secret, "alias": alias})


@dataclass(frozen=True)
class Settings:
    """The effective settings of one process; build it with load() and pass it down."""

    store_url: str = _setting(
        "sqlite:///var/rollups.db",
        "Where rollups live: `sqlite:///PATH` (embedded, WAL mode) or `cassandra://HOST[,HOST]:PORT/KEYSPACE`, "
        "e.g. `cassandra://127.0.0.1:9042/nyc311`.")
    stream_url: str = _setting(
        "spool://var/spool",
        "Where live events flow: `spool://DIR` (embedded, files) or `kafka://HOST:PORT[,HOST:PORT...]/TOPIC`, "
        "e.g. `kafka://127.0.0.1:9092/nyc311-events`.")
    spark_master: str = _setting("local[*]", "Spark master: `local[*]`, `spark://HOST:7077`, `yarn`, `k8s://...`.")
    spark_driver_memory: str = _setting("2g", "Spark driver memory (a JVM size such as 2g).")
    stream_driver_memory: str = _setting(
        "512m", "Spark driver memory of the streaming job: with its Python process it stays under 1.5 GB "
                "resident, even catching up an hour's backlog.")
    stream_max_offsets_per_trigger: int = _setting(
        20000, "Most Kafka messages per micro-batch: bounds memory and batch time while catching up after downtime.")
    stream_max_files_per_trigger: int = _setting(
        1000, "Most spool files per micro-batch: the embedded stream's catch-up bound.")
    stream_trigger_ms: int = _setting(1000, "Micro-batch interval of the streaming job, in milliseconds "
                                            "(`stream --trigger-seconds` overrides it for one run).")
    stream_lake_every_s: int = _setting(
        60, "Seconds between appends of changed live requests to the lake's inbox, which loads and recomputes "
            "fold into the lake (-1: never; `stream --lake-every` overrides it).")
    socrata_poll_s: int = _setting(60, "Seconds the Socrata producer waits between polls once caught up "
                                       "(`produce --socrata --poll-seconds` overrides it).")
    lake_path: str = _setting(
        "var/lake", "Cleaned-request lake, a Delta Lake table partitioned by created month (local folder, "
                    "`hdfs://...` or `s3a://...`).")
    quarantine_path: str = _setting("var/quarantine", "Where unusable input rows are written with their reason.")
    loader_socket: str = _setting(
        "var/run/loader.sock", "Unix socket of the warm batch loader (`python -m pipeline loader`): `batch` sends "
                               "its load there when a loader listens, else starts Spark itself (empty: always itself).")
    checkpoint_path: str = _setting("var/checkpoints", "Spark Structured Streaming checkpoints.")
    app_host: str = _setting("127.0.0.1", "Interface the app binds to (the dev server and gunicorn).")
    app_port: int = _setting(8050, "Port the app listens on (the dev server and gunicorn) and nginx's upstream.")
    url_prefix: str = _setting("/", "Path prefix the app is mounted under behind a proxy, e.g. `/311/`.")
    frame_ancestors: str = _setting(
        "'self'", "Content-Security-Policy `frame-ancestors`: which sites may embed the app in an iframe "
                  "(space-separated origins; `'self'` allows only the app's own origin).")
    live_interval_ms: int = _setting(5000, "Refresh period of the live page, in milliseconds.")
    socrata_url: str = _setting("https://data.cityofnewyork.us", "Base URL of the NYC Open Data (SODA) API.")
    socrata_dataset: str = _setting("erm2-nwe9", "Dataset id of 311 Service Requests on NYC Open Data.")
    socrata_app_token: str = _setting("", "Socrata app token, `NYC311_SOCRATA_APP_TOKEN` (environment only).",
                                      secret=True)
    jar_cache: str = _setting(".cache/jars", "Folder where Maven puts the Kafka, Cassandra and Spark connector jars.")
    socrata_legacy_dataset: str = _setting(
        "76ig-c548", "Dataset id of the 2010-2019 311 Service Requests (`fetch` reads it for days before 2020).")
    raw_path: str = _setting("var/raw", "Where `fetch` keeps the API's raw pages (gzipped JSON) and its resume state.")
    data_source: str = _setting(
        "auto", "What the first `make run` loads: `auto` (the city's API when it answers, else synthetic), "
                "`real` or `synthetic`.")
    request_budget_s: int = _setting(8, "Seconds a page's charts may take to draw; a chart still drawing then "
                                        "says \"took too long\".")
    read_cache_mb: int = _setting(64, "Bytes (MB) of read-API answers each app process keeps (an LRU bounded in bytes).")
    app_cache_mb: int = _setting(32, "Bytes (MB) of last-good answers each app process keeps for store outages.")
    api_rate_per_min: int = _setting(
        120, "Data API requests a client address may make a minute, per app process (0: no limit); nginx limits "
             "`/api/` too.")
    healthz_details: int = _setting(0, "1: `/healthz` names the store's error (hosts, paths); 0: it only says "
                                       "\"unavailable\".")
    spark_driver_host: str = _setting(
        "127.0.0.1", "Address executors use to reach the driver (`spark.driver.host`). 127.0.0.1 suits local "
                     "mode only; on a `spark://` cluster set this machine's address on the cluster network, on "
                     "Kubernetes the driver pod's service name.")
    spark_driver_bind_address: str = _setting(
        "127.0.0.1", "Interface the driver listens on (`spark.driver.bindAddress`): 0.0.0.0 behind NAT or in a pod.")
    spark_driver_port: int = _setting(
        0, "Driver RPC port executors connect to (`spark.driver.port`; 0: any free port, fix it behind a firewall).")
    spark_blockmanager_port: int = _setting(
        0, "Block manager port of the driver and executors (`spark.blockManager.port`; 0: any free port).")
    spark_shuffle_partitions: int = _setting(
        0, "Partitions of the batch job's shuffles (0: 4 in local mode, 64 on a cluster; about 2-3 per executor core).")
    spark_executor_memory: str = _setting("1g", "Heap of each executor on a cluster (`spark.executor.memory`; "
                                                "unused in local mode).")
    cassandra_read_consistency: str = _setting(
        "LOCAL_ONE", "Cassandra consistency level of reads: `LOCAL_ONE` answers while one replica of each row is "
                     "up (docs/OPERATIONS.md: Running against real clusters).")
    cassandra_write_consistency: str = _setting(
        "LOCAL_ONE", "Cassandra consistency level of writes: `LOCAL_ONE` goes on while one replica is up (hints "
                     "catch the others up); `LOCAL_QUORUM` with replication factor 3 gives read-your-writes.")
    web_workers: int = _setting(0, "gunicorn worker processes (0: one per CPU, at least 2, at most 8); "
                                   "`WEB_CONCURRENCY` is honoured too.", alias="WEB_CONCURRENCY")
    web_threads: int = _setting(4, "Threads per gunicorn worker: they cover a callback's wait on the store.",
                                alias="GUNICORN_THREADS")
    web_timeout_s: int = _setting(60, "Seconds a gunicorn worker may stay silent before it is restarted.",
                                  alias="GUNICORN_TIMEOUT")
    web_max_requests: int = _setting(5000, "Requests after which a gunicorn worker is recycled (0: never).",
                                     alias="GUNICORN_MAX_REQUESTS")
    web_access_log: str = _setting("-", "gunicorn access log: a path, or `-` for stdout.", alias="GUNICORN_ACCESS_LOG")
    web_error_log: str = _setting("-", "gunicorn error log: a path, or `-` for stderr.", alias="GUNICORN_ERROR_LOG")
    web_log_level: str = _setting("info", "gunicorn log level: debug, info, warning, error or critical.",
                                  alias="GUNICORN_LOG_LEVEL")
    web_forwarded_allow_ips: str = _setting(
        "127.0.0.1", "Proxies whose X-Forwarded-* headers gunicorn trusts (comma-separated; nginx's address).",
        alias="FORWARDED_ALLOW_IPS")
    nginx_listen: str = _setting("80", "What nginx listens on (`listen`), a port or ADDRESS:PORT "
                                       "(`python -m bench.proxy site`).")
    nginx_callback_rate: str = _setting("10r/s", "Dash callback POSTs nginx lets one client address make "
                                                 "(a page load fires about ten at once).")
    nginx_callback_burst: int = _setting(40, "Callback POSTs over the rate nginx lets through at once "
                                             "before it answers 429.")

    def __repr__(self) -> str:
        """The printed form masks secrets, so a log line or a traceback never shows the token."""
        shown = ", ".join(f"{s.name}={'***' if s.secret and getattr(self, s.name) else getattr(self, s.name)!r}"
                          for s in REGISTRY)
        return f"Settings({shown})"

    __str__ = __repr__

    def path(self, value: str) -> Path:
        """Resolve a relative path setting against the project root, so commands work from any cwd."""
        return resolve(value)

    @property
    def upstream(self) -> str:
        """gunicorn's address as nginx reaches it."""
        return f"{self.app_host}:{self.app_port}"


def resolve(value: str) -> Path:
    """A relative path is relative to the project root, so commands work from any cwd."""
    p = Path(value)
    return p if p.is_absolute() else ROOT / p


@dataclass(frozen=True)
class Setting:
    """One registry row, read off a Settings field (name, default, help, kind, secret, alias)."""
    name: str
    default: object
    help: str
    kind: type = str
    secret: bool = False
    alias: str = ""


_KINDS = {"int": int, "str": str}
REGISTRY: tuple[Setting, ...] = tuple(
    Setting(f.name, f.default, f.metadata["help"], _KINDS[str(f.type)], f.metadata["secret"], f.metadata["alias"])
    for f in fields(Settings))
DEFAULTS = Settings()

# Consistency levels the driver knows; ANY and EACH_QUORUM only make sense for writes.
READ_CONSISTENCY = ("ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "LOCAL_ONE")
WRITE_CONSISTENCY = (*READ_CONSISTENCY, "ANY", "EACH_QUORUM")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def _coerce(setting: Setting, raw: object) -> object:
    if setting.kind is int:
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise SettingsError(f"{setting.name}={raw!r} is not a whole number: {setting.help}") from None
    return str(raw)


def _validate_urls(values: dict[str, object]) -> None:
    store = urlparse(str(values["store_url"]))
    if store.scheme not in ("sqlite", "cassandra"):
        raise SettingsError(
            f"store_url={values['store_url']!r}: use sqlite:///var/rollups.db or cassandra://127.0.0.1:9042/nyc311")
    if store.scheme == "cassandra" and not re.fullmatch(r"/[A-Za-z_][A-Za-z0-9_]*", store.path or ""):
        raise SettingsError(f"store_url={values['store_url']!r}: the path must name a keyspace, e.g. /nyc311")
    stream = urlparse(str(values["stream_url"]))
    if stream.scheme not in ("spool", "kafka"):
        raise SettingsError(
            f"stream_url={values['stream_url']!r}: use spool://var/spool or kafka://127.0.0.1:9092/nyc311-events")
    if stream.scheme == "kafka" and not (stream.netloc and stream.path.strip("/")):
        raise SettingsError(f"stream_url={values['stream_url']!r}: name a broker and a topic, kafka://HOST:PORT/TOPIC")
    prefix = str(values["url_prefix"])
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise SettingsError(f"url_prefix={prefix!r} must start and end with '/', e.g. /311/")
    if not re.fullmatch(r"(local(\[(\*|\d+)\])?|spark://.+|yarn|k8s://.+)", str(values["spark_master"])):
        raise SettingsError(f"spark_master={values['spark_master']!r}: use local[*], spark://HOST:7077, yarn or k8s://...")


def _validate_numbers(values: dict[str, object]) -> None:
    if not 1 <= int(values["app_port"]) <= 65535:
        raise SettingsError(f"app_port={values['app_port']!r} is not a TCP port")
    for name in ("request_budget_s", "read_cache_mb", "app_cache_mb", "spark_shuffle_partitions", "web_workers",
                 "web_max_requests"):
        if int(values[name]) < 0:
            raise SettingsError(f"{name}={values[name]!r} must not be negative")
    if int(values["api_rate_per_min"]) < 0:
        raise SettingsError(f"api_rate_per_min={values['api_rate_per_min']!r}: use 0 (no limit) or more")
    for name in ("stream_max_offsets_per_trigger", "stream_max_files_per_trigger"):
        if int(values[name]) < 1:
            raise SettingsError(f"{name}={values[name]!r}: use at least 1 (the catch-up bound per micro-batch)")
    for name in ("web_threads", "web_timeout_s", "nginx_callback_burst"):
        if int(values[name]) < 1:
            raise SettingsError(f"{name}={values[name]!r}: use at least 1")
    for name in ("spark_driver_memory", "stream_driver_memory"):
        if not re.fullmatch(r"\d+[kmgt]?", str(values[name]).lower()):
            raise SettingsError(f"{name}={values[name]!r}: use a JVM size such as 1g or 768m")
    if int(values["healthz_details"]) not in (0, 1):
        raise SettingsError(f"healthz_details={values['healthz_details']!r}: use 0 or 1")
    for name in ("spark_driver_port", "spark_blockmanager_port"):
        if not 0 <= int(values[name]) <= 65535:
            raise SettingsError(f"{name}={values[name]!r}: use a TCP port, or 0 for any free port")
    for name in ("stream_trigger_ms", "socrata_poll_s"):
        if int(values[name]) < 1:
            raise SettingsError(f"{name}={values[name]!r}: use at least 1")
    if int(values["live_interval_ms"]) < 500:
        raise SettingsError(f"live_interval_ms={values['live_interval_ms']!r}: use at least 500 ms")


def _validate_words(values: dict[str, object]) -> None:
    if values["data_source"] not in ("auto", "real", "synthetic"):
        raise SettingsError(f"data_source={values['data_source']!r}: use auto, real or synthetic")
    for name, allowed in (("cassandra_read_consistency", READ_CONSISTENCY),
                          ("cassandra_write_consistency", WRITE_CONSISTENCY)):
        values[name] = str(values[name]).upper()
        if values[name] not in allowed:
            raise SettingsError(f"{name}={values[name]!r}: use one of {', '.join(allowed)}")
    if str(values["web_log_level"]).lower() not in LOG_LEVELS:
        raise SettingsError(f"web_log_level={values['web_log_level']!r}: use one of {', '.join(LOG_LEVELS)}")
    if not re.fullmatch(r"\d+r/[sm]", str(values["nginx_callback_rate"])):
        raise SettingsError(f"nginx_callback_rate={values['nginx_callback_rate']!r}: use e.g. 10r/s")
    if not re.fullmatch(r"(\S+:)?\d{1,5}", str(values["nginx_listen"])):
        raise SettingsError(f"nginx_listen={values['nginx_listen']!r}: use a port (80) or ADDRESS:PORT")


def load(env: dict[str, str] | None = None, file: Path | None = None) -> Settings:
    """Read config/settings.toml (overrides only), apply environment overrides, validate, and return
    frozen settings. NYC311_<NAME> wins over a setting's conventional alias (WEB_CONCURRENCY)."""
    env = os.environ if env is None else env
    file = file or Path(env.get(ENV_PREFIX + "CONFIG", CONFIG_DIR / "settings.toml"))
    base: dict[str, object] = {}
    if file.exists():
        with open(file, "rb") as fh:
            base = tomllib.load(fh)
    unknown = sorted(set(base) - {s.name for s in REGISTRY})
    if unknown:
        raise SettingsError(f"{file}: unknown setting(s) {', '.join(unknown)}")
    values: dict[str, object] = {}
    for s in REGISTRY:
        raw = s.default if s.secret else base.get(s.name, s.default)
        raw = env.get(s.alias, raw) if s.alias else raw
        raw = env.get(ENV_PREFIX + s.name.upper(), raw)
        values[s.name] = _coerce(s, raw)
    _validate_urls(values)
    _validate_numbers(values)
    _validate_words(values)
    return Settings(**values)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get() -> Settings:
    """Process-wide settings, read once: for shell one-liners (scripts/*.sh). Product code receives
    its Settings from the entry point that loaded them (create_app, the CLI, gunicorn's config)."""
    return load()


def _shown(value: object) -> str:
    return f"`{value}`" if value != "" else "*(empty)*"


def markdown_table() -> str:
    """The README's settings table, printed from the registry so the two cannot drift apart."""
    rows = ["| setting | default | meaning |", "| --- | --- | --- |"]
    for s in REGISTRY:
        default = "*(environment only)*" if s.secret else _shown(s.default)
        rows.append(f"| `{s.name}` | {default} | {s.help.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> None:
    """`python -m pipeline.settings` prints the effective settings (secrets masked), or the error;
    `--markdown` prints the README's table of every setting and its default."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--markdown"]:
        print(markdown_table(), end="")
        return
    try:
        s = load()
    except SettingsError as exc:
        print(f"settings error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    for x in REGISTRY:
        v = getattr(s, x.name)
        print(f"{x.name} = {'***' if x.secret and v else v}")


if __name__ == "__main__":
    main()
