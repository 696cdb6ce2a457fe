#!/usr/bin/env bash
# `make bench`: every benchmark the issues name, against the real local servers. Long (about two
# hours on 2 cores, more on a first run that builds the read stores, and the stream's catch-up is
# as long as its backlog); run one part with `bash scripts/bench.sh PART` where PART is one of
#   services  fetch/start times and peak memory of Kafka, Cassandra and a Spark driver
#   batch     5M synthetic rows -> Spark -> Cassandra (rows/s per stage), one more day, DuckDB ratio;
#             then `make run`'s first start: 1.6M rows into a fresh SQLite store (~45 min together)
#   small     the 924-row sample into a fresh SQLite store with the real command line (target <= 15 s)
#   read      every read-API query over ten years of rollups in Cassandra and three years in SQLite
#             (p50/p95, cold and cached; a minute once the stores are built, 14 min to build Cassandra's)
#   readlake  the read API against DuckDB over the lake, same answers (checked equal), same run, on
#             SQLite then Cassandra (~11 min)
#   writes    replace_periods alone: readlake's rollup rows into a fresh SQLite store (run readlake first);
#             then the same rows into Cassandra: CPU per row of the client and of the server, and the
#             machine's ceiling in rows/s and requests/s (bench/cassandra_writes.py, ~5 min)
#   stream    catch-up after an hour's downtime (7.2M-event backlog): rate, time, peak memory, exact
#             counts; then 2,000 events/s for 5 min: freshness p50/p95/max, memory. Options of
#             bench/stream.py via BENCH_STREAM_ARGS, e.g. "--backlog 1000000" or "--part freshness"
#   app       Dash callback server times, Map first render in Chromium, worker RSS
#   web       100 users through nginx -> gunicorn for 5 min: errors, p95, CPU, bytes per refresh
#   table     issue 12's table: the issue's figures beside the latest recorded ones, targets, DuckDB ratios
# Figures print to stdout; the parts issue 12 names also record theirs under var/bench/results/,
# which `table` (run last) joins.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
export PYSPARK_PYTHON="$PWD/.venv/bin/python"
PY=.venv/bin/python
BENCH_STORE="${BENCH_STORE:-cassandra://127.0.0.1:9042/nyc311_bench}"
parts=("$@")
[ $# -eq 0 ] && parts=(services batch small read readlake writes stream app web table)
for part in "${parts[@]}"; do
  echo "==================== $part"
  case "$part" in
    services) bash scripts/bench-services.sh ;;
    batch)    bash scripts/services.sh up && $PY -m bench.batch && $PY -m bench.batch --rows 1600000 --store sqlite:///var/bench/batch.db ;;
    small)    $PY -m bench.small_load ;;
    # a keyspace of its own: BENCH_STORE holds the batch part's real rollups, which would count beside the
    # synthetic ones; no query of bench.read reads the hotspot tables (~80 % of ten years' rows)
    read)     bash scripts/services.sh up && $PY -m bench.read --store "${BENCH_READ_STORE:-cassandra://127.0.0.1:9042/nyc311_bench10}" --without-hotspots \
                && $PY -m bench.read --store sqlite:///var/bench/read3.db --years 3 ;;
    readlake) bash scripts/services.sh up && $PY -m bench.read_lake && $PY -m bench.read_lake --store cassandra://127.0.0.1:9042/nyc311_readlake ;;
    writes)   $PY -m bench.store_writes && bash scripts/services.sh up && $PY -m bench.cassandra_writes ;;
    # shellcheck disable=SC2086 # BENCH_STREAM_ARGS is a list of options
    stream)   bash scripts/services.sh up && $PY -m bench.stream --store "$BENCH_STORE" ${BENCH_STREAM_ARGS:-} ;;
    app)      bash scripts/services.sh up && $PY -m bench.app --store "$BENCH_STORE" ;;
    web)      $PY -m bench.web ;;
    table)    $PY -m bench.table ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
  esac
done
