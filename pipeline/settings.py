"""One registry of settings: config/settings.toml is the base, NYC311_* environment variables override.

Why one place: the app, the batch job, the streaming job and the tests must agree on where the
rollups live and where the stream comes from; scaling out is only a matter of changing these URLs.
Secrets (the Socrata app token) come only from the environment and are never written to config/.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields
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


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str
    kind: type = str
    secret: bool = False


REGISTRY: tuple[Setting, ...] = (
    Setting("store_url", "sqlite:///var/rollups.db",
            "Where rollups live: sqlite:///PATH (embedded, WAL mode) or cassandra://HOST[,HOST]:PORT/KEYSPACE."),
    Setting("stream_url", "spool://var/spool",
            "Where live events flow: spool://DIR (embedded, files) or kafka://HOST:PORT[,HOST:PORT...]/TOPIC."),
    Setting("spark_master", "local[*]", "Spark master URL: local[*] or spark://HOST:7077 (or yarn, k8s://...)."),
    Setting("spark_driver_memory", "2g", "Spark driver memory (a JVM size such as 2g)."),
    Setting("stream_driver_memory", "512m",
            "Spark driver memory of the streaming job: with its Python process it stays under 1.5 GB resident, "
            "even catching up an hour's backlog."),
    Setting("stream_max_offsets_per_trigger", 20000,
            "Most Kafka messages per micro-batch: bounds memory and batch time while catching up after downtime.", int),
    Setting("stream_max_files_per_trigger", 1000,
            "Most spool files per micro-batch: the embedded stream's catch-up bound.", int),
    Setting("lake_path", "var/lake",
            "Cleaned-request lake, a Delta Lake table partitioned by created month (local folder, hdfs:// or s3a://)."),
    Setting("quarantine_path", "var/quarantine", "Where unusable input rows are written with their reason."),
    Setting("checkpoint_path", "var/checkpoints", "Spark Structured Streaming checkpoints."),
    Setting("app_host", "127.0.0.1", "Interface the app binds to (the dev server and gunicorn)."),
    Setting("app_port", 8050, "Port the app listens on (the dev server and gunicorn, via config/gunicorn.conf.py).", int),
    Setting("url_prefix", "/", "Path prefix the app is mounted under behind a proxy, e.g. /311/."),
    Setting("frame_ancestors", "'self'",
            "Content-Security-Policy frame-ancestors: which sites may embed the app in an iframe "
            "(space-separated origins; 'self' allows only the app's own origin)."),
    Setting("live_interval_ms", 5000, "Refresh period of the live page, in milliseconds.", int),
    Setting("socrata_url", "https://data.cityofnewyork.us", "Base URL of the NYC Open Data (SODA) API."),
    Setting("socrata_dataset", "erm2-nwe9", "Dataset id of 311 Service Requests on NYC Open Data."),
    Setting("socrata_app_token", "", "Socrata app token (environment only).", secret=True),
    Setting("jar_cache", ".cache/jars", "Folder where Maven puts the Kafka, Cassandra and Spark connector jars."),
    Setting("socrata_legacy_dataset", "76ig-c548",
            "Dataset id of the 2010-2019 311 Service Requests on NYC Open Data (`fetch` reads it for days before 2020)."),
    Setting("raw_path", "var/raw", "Where `fetch` keeps the API's raw pages (gzipped JSON) and its resume state."),
    Setting("data_source", "auto",
            "What the first `make run` loads: auto (the city's API when it answers, else synthetic), real or synthetic."),
    Setting("request_budget_s", 8, "Seconds a page's charts may take to draw; a chart still drawing then says so.", int),
    Setting("read_cache_mb", 64, "Bytes (MB) of read-API answers each app process keeps (an LRU bounded in bytes).", int),
    Setting("app_cache_mb", 32, "Bytes (MB) of last-good answers each app process keeps for store outages.", int),
    Setting("api_rate_per_min", 120,
            "Data API requests a client address may make a minute, per app process (0: no limit; nginx limits too).", int),
    Setting("healthz_details", 0, "1: /healthz names the store's error (hosts, paths); 0: it only says unavailable.",
            int),
    Setting("spark_driver_host", "127.0.0.1",
            "Address executors use to reach the driver (spark.driver.host): this machine's address on the "
            "cluster network, or the driver pod's service name on Kubernetes."),
    Setting("spark_driver_bind_address", "127.0.0.1",
            "Interface the driver listens on (spark.driver.bindAddress): 0.0.0.0 behind NAT or in a pod."),
    Setting("spark_driver_port", 0, "Driver RPC port executors connect to (0: any free port; fix it behind a firewall).",
            int),
    Setting("spark_blockmanager_port", 0,
            "Block manager port of the driver and executors (0: any free port; fix it behind a firewall).", int),
    Setting("spark_shuffle_partitions", 0,
            "Partitions of the batch job's shuffles (0: 4 in local mode, 64 on a cluster; about 2-3 per executor core).",
            int),
    Setting("spark_executor_memory", "1g", "Heap of each executor on a cluster (a JVM size; unused in local mode)."),
    Setting("cassandra_read_consistency", "LOCAL_ONE",
            "Cassandra consistency level of reads: LOCAL_ONE answers while one replica of each row is up."),
    Setting("cassandra_write_consistency", "LOCAL_ONE",
            "Cassandra consistency level of writes: LOCAL_ONE goes on while one replica is up (hints catch the "
            "others up); LOCAL_QUORUM with replication factor 3 makes reads at LOCAL_QUORUM see every write."),
)

# Consistency levels the driver knows; ANY and EACH_QUORUM only make sense for writes.
READ_CONSISTENCY = ("ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "LOCAL_ONE")
WRITE_CONSISTENCY = (*READ_CONSISTENCY, "ANY", "EACH_QUORUM")


@dataclass(frozen=True)
class Settings:
    store_url: str
    stream_url: str
    spark_master: str
    spark_driver_memory: str
    stream_driver_memory: str
    stream_max_offsets_per_trigger: int
    stream_max_files_per_trigger: int
    lake_path: str
    quarantine_path: str
    checkpoint_path: str
    app_host: str
    app_port: int
    url_prefix: str
    frame_ancestors: str
    live_interval_ms: int
    socrata_url: str
    socrata_dataset: str
    socrata_app_token: str
    jar_cache: str
    socrata_legacy_dataset: str
    raw_path: str
    data_source: str
    request_budget_s: int
    read_cache_mb: int
    app_cache_mb: int
    api_rate_per_min: int
    healthz_details: int
    spark_driver_host: str
    spark_driver_bind_address: str
    spark_driver_port: int
    spark_blockmanager_port: int
    spark_shuffle_partitions: int
    spark_executor_memory: str
    cassandra_read_consistency: str
    cassandra_write_consistency: str

    def __repr__(self) -> str:
        """The printed form masks secrets, so a log line or a traceback never shows the token."""
        shown = ", ".join(f"{s.name}={'***' if s.secret and getattr(self, s.name) else getattr(self, s.name)!r}"
                          for s in REGISTRY)
        return f"Settings({shown})"

    __str__ = __repr__

    def path(self, value: str) -> Path:
        """Resolve a relative path setting against the project root, so commands work from any cwd."""
        p = Path(value)
        return p if p.is_absolute() else ROOT / p


def _coerce(setting: Setting, raw: object) -> object:
    if setting.kind is int:
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise SettingsError(f"{setting.name}={raw!r} is not a whole number: {setting.help}") from None
    return str(raw)


def _validate(values: dict[str, object]) -> None:
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
    if values["data_source"] not in ("auto", "real", "synthetic"):
        raise SettingsError(f"data_source={values['data_source']!r}: use auto, real or synthetic")
    if not 1 <= int(values["app_port"]) <= 65535:
        raise SettingsError(f"app_port={values['app_port']!r} is not a TCP port")
    for name in ("request_budget_s", "read_cache_mb", "app_cache_mb", "spark_shuffle_partitions"):
        if int(values[name]) < 0:
            raise SettingsError(f"{name}={values[name]!r} must not be negative")
    if int(values["api_rate_per_min"]) < 0:
        raise SettingsError(f"api_rate_per_min={values['api_rate_per_min']!r}: use 0 (no limit) or more")
    for name in ("stream_max_offsets_per_trigger", "stream_max_files_per_trigger"):
        if int(values[name]) < 1:
            raise SettingsError(f"{name}={values[name]!r}: use at least 1 (the catch-up bound per micro-batch)")
    for name in ("spark_driver_memory", "stream_driver_memory"):
        if not re.fullmatch(r"\d+[kmgt]?", str(values[name]).lower()):
            raise SettingsError(f"{name}={values[name]!r}: use a JVM size such as 1g or 768m")
    if int(values["healthz_details"]) not in (0, 1):
        raise SettingsError(f"healthz_details={values['healthz_details']!r}: use 0 or 1")
    for name in ("spark_driver_port", "spark_blockmanager_port"):
        if not 0 <= int(values[name]) <= 65535:
            raise SettingsError(f"{name}={values[name]!r}: use a TCP port, or 0 for any free port")
    for name, allowed in (("cassandra_read_consistency", READ_CONSISTENCY),
                          ("cassandra_write_consistency", WRITE_CONSISTENCY)):
        values[name] = str(values[name]).upper()
        if values[name] not in allowed:
            raise SettingsError(f"{name}={values[name]!r}: use one of {', '.join(allowed)}")
    if int(values["live_interval_ms"]) < 500:
        raise SettingsError(f"live_interval_ms={values['live_interval_ms']!r}: use at least 500 ms")
    prefix = str(values["url_prefix"])
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise SettingsError(f"url_prefix={prefix!r} must start and end with '/', e.g. /311/")
    if not re.fullmatch(r"(local(\[(\*|\d+)\])?|spark://.+|yarn|k8s://.+)", str(values["spark_master"])):
        raise SettingsError(f"spark_master={values['spark_master']!r}: use local[*], spark://HOST:7077, yarn or k8s://...")


def load(env: dict[str, str] | None = None, file: Path | None = None) -> Settings:
    """Read config/settings.toml, apply NYC311_* overrides, validate, and return frozen settings."""
    env = os.environ if env is None else env
    file = file or Path(env.get(ENV_PREFIX + "CONFIG", CONFIG_DIR / "settings.toml"))
    base: dict[str, object] = {}
    if file.exists():
        with open(file, "rb") as fh:
            base = tomllib.load(fh)
    known = {s.name for s in REGISTRY}
    unknown = sorted(set(base) - known)
    if unknown:
        raise SettingsError(f"{file}: unknown setting(s) {', '.join(unknown)}")
    values: dict[str, object] = {}
    for s in REGISTRY:
        raw = s.default if s.secret else base.get(s.name, s.default)
        raw = env.get(ENV_PREFIX + s.name.upper(), raw)
        values[s.name] = _coerce(s, raw)
    _validate(values)
    assert {f.name for f in fields(Settings)} == known
    return Settings(**values)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get() -> Settings:
    """Process-wide settings, read once."""
    return load()


def main() -> None:
    """`python -m pipeline.settings` prints the effective settings (secrets masked), or the error."""
    import sys
    try:
        s = load()
    except SettingsError as exc:
        print(f"settings error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    secret = {x.name for x in REGISTRY if x.secret}
    for f in fields(s):
        v = getattr(s, f.name)
        print(f"{f.name} = {'***' if f.name in secret and v else v}")


if __name__ == "__main__":
    main()
