#!/usr/bin/env bash
# Measure the service stack (figures quoted in docs/SERVICES.md):
#   1. scripts/fetch-jars.sh into an empty jar cache (with --cold also an empty Maven repository),
#   2. a restart of Kafka and Cassandra: time until each answers a client, and `down` leaving no JVM,
#   3. peak RSS of the Kafka, Cassandra and Spark driver JVMs while the smoke tests run.
# It restarts the shared servers (and leaves them running): don't run it while others test.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

echo "== fetch-jars into an empty jar cache${1:+ and an empty Maven repository ($1)}"
m2=()
[ "${1:-}" = --cold ] && m2=(MAVEN_OPTS="-Dmaven.repo.local=$tmp/m2")
start=$EPOCHREALTIME
env "${m2[@]}" NYC311_JAR_CACHE="$tmp/jars" bash scripts/fetch-jars.sh >/dev/null
echo "fetch-jars: $(since "$start") s; $(du -sh "$tmp/jars" | cut -f1) of jars"
start=$EPOCHREALTIME
NYC311_JAR_CACHE="$tmp/jars" bash scripts/fetch-jars.sh >/dev/null
echo "fetch-jars warm: $(since "$start") s"

echo "== restart"
bash scripts/services.sh down
left="$(pgrep -f -- "-Dnyc311.service=[a-z]*@$PWD" || true)"
echo "after down, JVMs of this checkout left: ${left:-none}"
start=$EPOCHREALTIME
bash scripts/services.sh up
echo "up (both, parallel): $(since "$start") s"

echo "== peak RSS while tests/integration/test_smoke_services.py runs"
kafka=$(cat var/services/kafka.pid); cassandra=$(cat var/services/cassandra.pid)
.venv/bin/python -m pytest tests/integration/test_smoke_services.py -q -p no:cacheprovider >"$tmp/pytest.out" 2>&1 &
pytest=$!
pk=0 pc=0 ps=0 pt=0
while kill -0 "$pytest" 2>/dev/null; do
  k=$(ps -o rss= -p "$kafka" || echo 0); c=$(ps -o rss= -p "$cassandra" || echo 0); s=0
  for p in $(pgrep -P "$pytest" || true); do  # the Spark driver JVM is the test process's child
    r=$(ps -o rss= -p "$p" || echo 0); [ "$r" -gt "$s" ] && s=$r
  done
  [ "$k" -gt "$pk" ] && pk=$k; [ "$c" -gt "$pc" ] && pc=$c; [ "$s" -gt "$ps" ] && ps=$s
  [ $((k + c + s)) -gt "$pt" ] && pt=$((k + c + s))
  sleep 0.3
done
rc=0; wait "$pytest" || rc=$?
tail -n 1 "$tmp/pytest.out"
echo "peak RSS MiB: kafka $((pk / 1024)), cassandra $((pc / 1024)), spark driver $((ps / 1024)), together $((pt / 1024))"
exit $rc
