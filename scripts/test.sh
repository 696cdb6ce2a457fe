#!/usr/bin/env bash
# `make test`: start the real servers the suite needs, run every test, stop the servers even when
# a test fails or the run is interrupted. Exit code is pytest's.
set -uo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
export PYSPARK_PYTHON="$PWD/.venv/bin/python"
started=0
# the cluster tests start and stop scripts/cluster.sh themselves; stopping it here too covers a
# pytest that was killed before its teardown
cleanup() { [ "$started" = 1 ] && { bash scripts/cluster.sh down >/dev/null; bash scripts/services.sh down; }; }
trap cleanup EXIT INT TERM
started=1
bash scripts/services.sh up || { echo "services failed to start; see var/log/" >&2; exit 1; }
export NYC311_TEST_CASSANDRA="${NYC311_TEST_CASSANDRA:-cassandra://127.0.0.1:9042/nyc311_test}"
export NYC311_TEST_KAFKA="${NYC311_TEST_KAFKA:-kafka://127.0.0.1:9092/nyc311-test}"
# --durations: the slowest tests in every run's log, where the time to cut is (issue 12: make test time)
.venv/bin/python -m pytest --durations=30 "$@"
rc=$?
# the suite's wall time (servers' start included) for issue 12's table (python -m bench.table);
# only a whole-suite run is a figure of `make test`
[ $# -eq 0 ] && .venv/bin/python -m bench.results make_test seconds=$SECONDS rc=$rc >/dev/null
exit $rc
