#!/usr/bin/env bash
# First start on the embedded default: fill the SQLite rollup store and the local lake once, real
# data first (`python -m pipeline bootstrap`, see pipeline/bootstrap.py): when the city's API answers,
# the last 90 days of 311 requests; otherwise half a year of synthetic history at the city's real
# volume plus the real sample, recorded as synthetic so every page shows the banner. The setting
# data_source (NYC311_DATA_SOURCE=auto|real|synthetic) forces either. Later starts skip this.
# Override the synthetic size with BOOTSTRAP_YEARS / BOOTSTRAP_ROWS_PER_YEAR.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
PY=.venv/bin/python
mkdir -p var
stamp=var/.embedded-ready
if [ -f "$stamp" ] && [ -f var/rollups.db ]; then
  exit 0
fi
echo "building the embedded store (first start only): the city's last 90 days if its API answers, else synthetic history"
$PY -m pipeline bootstrap --years "${BOOTSTRAP_YEARS:-0.5}" --rows-per-year "${BOOTSTRAP_ROWS_PER_YEAR:-3200000}"
touch "$stamp"
