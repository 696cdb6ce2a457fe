#!/usr/bin/env bash
# First start on the embedded default: build the SQLite rollup store and the local lake from
# half a year of synthetic history at the city's real volume (~3.2 million requests a year, so the
# live page's hour-of-week baseline matches the Procfile producer's 0.1 requests/s) plus the real
# sample export, once (a few minutes). Later starts skip this.
# Override the size with BOOTSTRAP_YEARS / BOOTSTRAP_ROWS_PER_YEAR.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
PY=.venv/bin/python
mkdir -p var
stamp=var/.embedded-ready
if [ -f "$stamp" ] && [ -f var/rollups.db ]; then
  exit 0
fi
years="${BOOTSTRAP_YEARS:-0.5}"
rows="${BOOTSTRAP_ROWS_PER_YEAR:-3200000}"
echo "building the embedded store: ${years} years x ${rows} synthetic requests + the real sample (first start only)"
$PY -m pipeline generate --years "$years" --rows-per-year "$rows" --out var/history/synthetic.csv
$PY -m pipeline batch --input var/history/synthetic.csv
sample=data/nyc_311_sample_2022.csv
[ -f "$sample" ] && $PY -m pipeline batch --input "$sample"
touch "$stamp"
