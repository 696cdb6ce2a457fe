#!/usr/bin/env bash
# Start, stop and check the real servers: Kafka 4 (KRaft, broker+controller) on 127.0.0.1:9092
# (controller 9093) and Cassandra 5.0 on 127.0.0.1:9042 (storage 7000, JMX 7199 local only).
#
#   bash scripts/services.sh up     [kafka|cassandra]   start (in parallel) and wait until they answer
#   bash scripts/services.sh down   [kafka|cassandra]   stop gracefully, then kill what is left
#   bash scripts/services.sh status [kafka|cassandra]   exit 0 when every named server answers
#
# Neither project ships its server outside a tarball we cannot download, so the jars come from
# Maven Central (scripts/fetch-jars.sh) and this script is the launcher the tarballs would have
# had. Templates live in config/<server>/; the absolute paths are filled in at start into
# var/services/<server>/, data under var/services/<server>/data, logs in var/log/<server>.log
# (server log) and var/log/<server>.out (JVM stdout/stderr). See docs/SERVICES.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
PY="$ROOT/.venv/bin/python"
TIMEOUT="${SERVICES_TIMEOUT:-180}"
VAR="$ROOT/var"
LOGS="$VAR/log"

cache="$("$PY" -c 'from pipeline.settings import get; s = get(); print(s.path(s.jar_cache))')"

die() { echo "services: $*" >&2; exit 1; }
dir_of() { echo "$VAR/services/$1"; }
pidfile() { echo "$VAR/services/$1.pid"; }
# A marker on the command line that names this checkout, so `down` also finds a JVM whose PID
# file was lost, and never one that belongs to another checkout.
marker() { echo "-Dnyc311.service=$1@$ROOT"; }

pids_of() {
  local pf; pf="$(pidfile "$1")"
  { [ -f "$pf" ] && cat "$pf"; pgrep -f -- "$(marker "$1")" || true; } | sort -u | while read -r p; do
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null \
      | grep -qF -- "$(marker "$1") " && echo "$p"
  done
  return 0
}

jvm_options() { grep -vE '^\s*(#|$)' "$1"; }

render() {  # template -> destination, filling @DATA_DIR@
  sed "s#@DATA_DIR@#$2#g" "$1" >"$3"
}

# Ask the server the way a client would; with a deadline, loop until it answers (or the JVM dies).
probe() {  # server deadline_seconds [pid]
  "$PY" - "$@" <<'PYEOF'
import logging, socket, sys, time
logging.disable(logging.CRITICAL)
start = time.monotonic()
server, deadline, pid = sys.argv[1], start + float(sys.argv[2]), (sys.argv[3:] or [None])[0]
port = {"kafka": 9092, "cassandra": 9042}[server]

def alive():
    import os
    if pid is None:
        return True
    try:
        os.kill(int(pid), 0)
        return True
    except OSError:
        return False

def answers():
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    try:
        if server == "kafka":
            from kafka import KafkaAdminClient
            admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=5000,
                                     client_id="nyc311-services")
            try:
                admin.list_topics()
            finally:
                admin.close()
        else:
            from cassandra.cluster import Cluster
            cluster = Cluster(["127.0.0.1"], port=port, connect_timeout=5, control_connection_timeout=5)
            try:
                cluster.connect().execute("SELECT release_version FROM system.local", timeout=5).one()
            finally:
                cluster.shutdown()
        return True
    except Exception as exc:
        global last_error
        last_error = f"{type(exc).__name__}: {exc}"
        return False

last_error = "port closed"

while True:
    if answers():
        if float(sys.argv[2]) > 0:
            print(f"services: {server} answering after {time.monotonic() - start:.1f} s", flush=True)
        sys.exit(0)
    if not alive():
        sys.exit(2)
    if time.monotonic() >= deadline:
        if float(sys.argv[2]) > 0:
            print(f"{server}: last probe error: {last_error}", file=sys.stderr)
        sys.exit(1)
    time.sleep(0.5)
PYEOF
}

start_kafka() {
  local d lib data; d="$(dir_of kafka)"; lib="$cache/kafka"; data="$d/data"
  mkdir -p "$data" "$LOGS"
  render config/kafka/server.properties "$data" "$d/server.properties"
  cp config/kafka/log4j2.properties "$d/log4j2.properties"
  local opts=(-Dkafka.logs.dir="$LOGS" -Dlog4j2.configurationFile="file:$d/log4j2.properties" -cp "$lib/*")
  if [ ! -f "$data/meta.properties" ]; then
    local id; id="$("$PY" scripts/kafka_cluster_id.py)"
    "$JAVA" "${opts[@]}" kafka.tools.StorageTool format --standalone --ignore-formatted -t "$id" \
      -c "$d/server.properties" >"$LOGS/kafka-format.out" 2>&1 \
      || { cat "$LOGS/kafka-format.out" >&2; die "kafka: formatting $data failed"; }
  fi
  mapfile -t jvm < <(jvm_options config/kafka/jvm.options)
  setsid nohup "$JAVA" "$(marker kafka)" "${jvm[@]}" "${opts[@]}" kafka.Kafka "$d/server.properties" \
    >"$LOGS/kafka.out" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile kafka)"
}

start_cassandra() {
  local d lib data; d="$(dir_of cassandra)"; lib="$cache/cassandra"; data="$d/data"
  local jv; jv="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release" 2>/dev/null)"
  case "$jv" in 11|17) ;; *) die "cassandra: needs JDK 11 or 17, JAVA_HOME=$JAVA_HOME is '${jv:-unknown}'" ;; esac
  mkdir -p "$data" "$d/conf" "$LOGS"
  render config/cassandra/cassandra.yaml "$data" "$d/conf/cassandra.yaml"
  cp config/cassandra/logback.xml "$d/conf/logback.xml"
  local jamm; jamm="$(ls "$lib"/jamm-*.jar | head -1)"
  mapfile -t jvm < <(jvm_options config/cassandra/jvm.options)
  setsid nohup "$JAVA" "$(marker cassandra)" "${jvm[@]}" -javaagent:"$jamm" \
    -Dcassandra.config="file://$d/conf/cassandra.yaml" -Dcassandra.storagedir="$data" \
    -Dcassandra.logdir="$LOGS" -Dlogback.configurationFile="$d/conf/logback.xml" \
    -cp "$d/conf:$lib/*" org.apache.cassandra.service.CassandraDaemon \
    >"$LOGS/cassandra.out" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile cassandra)"
}

show_logs() {
  echo "---- tail of var/log/$1.log ----" >&2; tail -n 40 "$LOGS/$1.log" >&2 2>/dev/null || true
  echo "---- tail of var/log/$1.out ----" >&2; tail -n 20 "$LOGS/$1.out" >&2 2>/dev/null || true
}

up() {
  bash scripts/fetch-jars.sh kafka cassandra
  mkdir -p "$VAR/services" "$LOGS"
  local s waits=()
  # Two `up`s at once (two engineers, or make and a test) must not both launch a JVM: the
  # decision to start is taken under a lock; the waiting is not.
  exec 9>"$VAR/services/.lock"
  flock 9
  for s in "$@"; do
    if probe "$s" 0 >/dev/null 2>&1; then
      echo "services: $s already answering"
      continue
    fi
    if [ -z "$(pids_of "$s")" ]; then
      echo "services: starting $s"
      "start_$s"
    else
      pids_of "$s" | head -1 >"$(pidfile "$s")"
      echo "services: $s is starting (pid $(cat "$(pidfile "$s")"))"
    fi
    waits+=("$s")
  done
  flock -u 9
  [ ${#waits[@]} -gt 0 ] || return 0
  local -A job
  for s in "${waits[@]}"; do
    probe "$s" "$TIMEOUT" "$(cat "$(pidfile "$s")")" & job[$s]=$!
  done
  local failed=0 rc
  for s in "${waits[@]}"; do
    rc=0; wait "${job[$s]}" || rc=$?
    case $rc in
      0) ;;
      2) echo "services: $s exited while starting" >&2; show_logs "$s"; failed=1 ;;
      *) echo "services: $s not answering after ${TIMEOUT} s" >&2; show_logs "$s"; failed=1 ;;
    esac
  done
  return $failed
}

stop_one() {
  local s=$1 pids; pids="$(pids_of "$s")"
  if [ -n "$pids" ]; then
    echo "services: stopping $s (pid $(echo $pids))"
    kill -TERM $pids 2>/dev/null || true
    local i
    for ((i = 0; i < 60; i++)); do  # Cassandra drains and Kafka closes its logs on SIGTERM
      [ -z "$(pids_of "$s")" ] && break
      sleep 0.5
    done
    pids="$(pids_of "$s")"
    if [ -n "$pids" ]; then
      echo "services: $s did not stop in 30 s, killing (pid $(echo $pids))" >&2
      kill -KILL $pids 2>/dev/null || true
      sleep 0.5
    fi
  else
    echo "services: $s is not running from this checkout"
  fi
  rm -f "$(pidfile "$s")"
}

down() {
  local s jobs=()
  for s in "$@"; do stop_one "$s" & jobs+=($!); done
  for j in "${jobs[@]}"; do wait "$j"; done
}

status() {
  local s rc=0
  for s in "$@"; do
    local pids; pids="$(pids_of "$s" | tr '\n' ' ' | sed 's/ $//')"
    if probe "$s" 0 >/dev/null 2>&1; then
      if [ -n "$pids" ]; then echo "$s: answering (pid $pids)"; else echo "$s: answering (not started from this checkout)"; fi
    elif [ -n "$pids" ]; then
      echo "$s: running but not answering (pid $pids)"; rc=3
    else
      echo "$s: stopped"; rc=3
    fi
  done
  return $rc
}

cmd="${1:-}"; shift || true
servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(kafka cassandra)
for s in "${servers[@]}"; do
  case "$s" in kafka|cassandra) ;; *) die "unknown server '$s' (kafka or cassandra)" ;; esac
done
case "$cmd" in
  up) up "${servers[@]}" ;;
  down) down "${servers[@]}" ;;
  status) status "${servers[@]}" ;;
  *) echo "usage: bash scripts/services.sh up|down|status [kafka|cassandra]" >&2; exit 2 ;;
esac
