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
# The machine's busy cores over the run (/proc/stat, every core): how much of the wall time the CPU
# bounds, rather than the tests' waits (issue 12: make test time; CI runs nothing else meanwhile)
cpu_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
read -r busy0 all0 < <(cpu_ticks)
bash scripts/services.sh up || { echo "services failed to start; see var/log/" >&2; exit 1; }
# The JVMs the tests start (streaming jobs, loaders, stacks, the cluster's servers) compile with C1
# only; Kafka, Cassandra (above) and the suite's own Spark session (tests/support/jvm.py jvm_defaults)
# live the whole run and keep the JVM's defaults. Why: on two cores, C2's compiler threads spent a
# short job's warm-up compiling code the job never runs long: a session start with a Delta write
# and two reads took 40.7 against 25.5 s of JVM CPU (python -m bench.jvm_start). Set
# NYC311_TEST_JAVA_OPTIONS= (empty) to test every JVM with the defaults, as the product runs.
export JAVA_TOOL_OPTIONS="${NYC311_TEST_JAVA_OPTIONS--XX:TieredStopAtLevel=1}"
export NYC311_TEST_CASSANDRA="${NYC311_TEST_CASSANDRA:-cassandra://127.0.0.1:9042/nyc311_test}"
export NYC311_TEST_KAFKA="${NYC311_TEST_KAFKA:-kafka://127.0.0.1:9092/nyc311-test}"
# --durations: the slowest tests in every run's log, where the time to cut is (issue 12: make test time)
if [ $# -gt 0 ]; then
  .venv/bin/python -m pytest --durations=30 "$@"
  rc=$?
else
  # The whole suite in two parts. First every test but the `serial` ones, in NYC311_TEST_WORKERS
  # pytest-xdist workers (a module stays in one worker, each worker has its own Spark session and
  # Cassandra keyspaces, see tests/conftest.py). One pytest kept the two cores 79 % busy: its tests
  # wait on streaming jobs, servers and browsers; two workers fill those waits. Then the serial tests,
  # apart from the rest: they restart the shared servers under the others, or start a cluster of their own.
  .venv/bin/python -m pytest -n "${NYC311_TEST_WORKERS:-2}" --dist loadfile -m "not serial" --durations=30
  rc=$?
  parallel_s=$SECONDS
  # The serial modules side by side, one per worker: the kill -9 test restarts the shared servers,
  # which no other test then uses, and the cluster tests use only their own loopback cluster (its
  # own ports, scripts/cluster.sh), so the two never meet. Each spent most of its time waiting (a
  # JVM's restart, a node's return): 711 s side by side against 841 s one after the other, in turns.
  .venv/bin/python -m pytest -n "${NYC311_TEST_SERIAL_WORKERS:-2}" --dist loadfile -m serial --durations=10
  rc2=$?
  [ "$rc" = 0 ] && rc=$rc2  # the run fails when either part fails
fi
# the suite's wall time (servers' start included) for issue 12's table (python -m bench.table);
# only a whole-suite run is a figure of `make test`
if [ $# -eq 0 ]; then
  read -r busy1 all1 < <(cpu_ticks)
  .venv/bin/python -m bench.results make_test seconds=$SECONDS rc=$rc serial_s=$((SECONDS - parallel_s)) \
    cores="$(nproc)" busy_cores="$(awk -v b=$((busy1 - busy0)) -v a=$((all1 - all0)) -v n="$(nproc)" \
    'BEGIN{printf "%.2f", a ? n * b / a : 0}')" >/dev/null
fi
exit $rc
