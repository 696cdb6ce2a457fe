#!/usr/bin/env bash
# A real multi-node cluster on loopback, to prove the jobs scale out (docs/OPERATIONS.md: Running
# against real clusters). It never touches the single-node servers of scripts/services.sh, which
# may run at the same time: every port below is the cluster's own.
#
#   bash scripts/cluster.sh up     [PART...]   start (in parallel) and wait until each part answers
#   bash scripts/cluster.sh down   [PART...]   stop gracefully, then kill what is left (and its children)
#   bash scripts/cluster.sh status [PART...]   each part: answering or not, pid, RSS; exit 0 if all answer
#
# PART is a unit or a group (default: all):
#   spark      = spark-master (spark://127.0.0.1:7077, UI 18080), spark-worker-1 (port 17078, UI 18081),
#                spark-worker-2 (port 17079, UI 18082); each worker offers 1 core and 1g to executors
#   cassandra  = cassandra-1 on 127.0.0.1, cassandra-2 on 127.0.0.2: CQL 9142, storage 7100 (both
#                seeds), JMX 7299 / 7399 (local only); keyspaces are made with ?rf=2 in the store URL
#   kafka      = kafka-1..3: brokers 127.0.0.1:19092/19093/19094, KRaft controllers 19192/19193/19194
#                (each node is broker and controller; a static quorum of three voters); topics default
#                to replication factor 3, min.insync.replicas 2
#
# The JVMs come from the same artifacts as scripts/services.sh (Maven Central jars in the jar cache,
# pyspark's own spark-class); the configs are config/kafka and config/cassandra with the cluster's
# overrides from config/cluster/. State lives under var/cluster/<unit>/, logs under
# var/log/cluster/<unit>/ (server log and <unit>.out). Every JVM runs in its own session (setsid),
# so `down` ends the whole process group: a worker's executors go with it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
PY="$ROOT/.venv/bin/python"
TIMEOUT="${CLUSTER_TIMEOUT:-240}"
VAR="$ROOT/var/cluster"
LOGS="$ROOT/var/log/cluster"

ALL=(spark-master spark-worker-1 spark-worker-2 cassandra-1 cassandra-2 kafka-1 kafka-2 kafka-3)
KAFKA_VOTERS="1@127.0.0.1:19192,2@127.0.0.1:19193,3@127.0.0.1:19194"

die() { echo "cluster: $*" >&2; exit 1; }
num() { echo "${1##*-}"; }  # kafka-2 -> 2
pidfile() { echo "$VAR/$1.pid"; }
marker() { echo "-Dnyc311.cluster=$1@$ROOT"; }
jvm_options() { grep -vE '^\s*(#|$)' "$1"; }

pids_of() {  # the unit's JVM, from its PID file or its command-line marker (never another checkout's)
  local pf; pf="$(pidfile "$1")"
  { [ -f "$pf" ] && cat "$pf"; pgrep -f -- "$(marker "$1")" || true; } | sort -u | while read -r p; do
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null \
      | grep -qF -- "$(marker "$1") " && echo "$p"
  done
  return 0
}

probe() {  # unit deadline_seconds [pid]: ask the way a client would (scripts/cluster_probe.py)
  "$PY" "$ROOT/scripts/cluster_probe.py" "$@"
}

launch() {  # unit command...: in its own session, output to the unit's .out, pid recorded
  local u=$1; shift
  mkdir -p "$LOGS/$u"
  setsid nohup "$@" >"$LOGS/$u/$u.out" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile "$u")"
}

start_spark() {  # spark-master | spark-worker-N
  local u=$1 home; home="$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
  mkdir -p "$VAR/$u/conf" "$VAR/$u/work"
  local env=(env SPARK_HOME="$home" SPARK_CONF_DIR="$VAR/$u/conf" SPARK_LOCAL_IP=127.0.0.1
             SPARK_DAEMON_MEMORY=256m SPARK_DAEMON_JAVA_OPTS="$(marker "$u") -Djava.net.preferIPv4Stack=true")
  if [ "$u" = spark-master ]; then
    launch "$u" "${env[@]}" "$home/bin/spark-class" org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port 7077 --webui-port 18080
  else
    local n; n="$(num "$u")"
    launch "$u" "${env[@]}" "$home/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --port $((17077 + n)) --webui-port $((18080 + n)) --cores 1 --memory 1g \
      --work-dir "$VAR/$u/work" spark://127.0.0.1:7077
  fi
}

start_cassandra() {  # cassandra-N on 127.0.0.N
  local u=$1 n; n="$(num "$1")"
  local d="$VAR/$u" lib="$cache/cassandra" ip="127.0.0.$n"
  mkdir -p "$d/data" "$d/conf" "$LOGS/$u"
  local token; token=$([ "$n" = 1 ] && echo -4611686018427387904 || echo 4611686018427387904)
  sed -e "s#@DATA_DIR@#$d/data#g" -e "s/^cluster_name:.*/cluster_name: nyc311-cluster/" \
      -e "s/^initial_token:.*/initial_token: $token/" \
      -e "s/^listen_address:.*/listen_address: $ip/" -e "s/^rpc_address:.*/rpc_address: $ip/" \
      -e "s/^storage_port:.*/storage_port: 7100/" -e "s/^native_transport_port:.*/native_transport_port: 9142/" \
      -e "s/- seeds:.*/- seeds: \"127.0.0.1:7100,127.0.0.2:7100\"/" \
      -e "s/^hinted_handoff_enabled:.*/hinted_handoff_enabled: true/" \
      config/cassandra/cassandra.yaml >"$d/conf/cassandra.yaml"
  cp config/cassandra/logback.xml "$d/conf/logback.xml"
  local jamm; jamm="$(ls "$lib"/jamm-*.jar | head -1)"
  # the single node's options, then the cluster's (a later -X/-D wins), with this node's JMX port
  mapfile -t jvm < <(jvm_options config/cassandra/jvm.options | grep -v '^-Dcassandra.jmx.local.port=';
                     jvm_options config/cluster/cassandra-jvm.options)
  launch "$u" "$JAVA" "$(marker "$u")" "${jvm[@]}" -Dcassandra.jmx.local.port=$((7199 + 100 * n)) \
    -javaagent:"$jamm" -Dcassandra.config="file://$d/conf/cassandra.yaml" -Dcassandra.storagedir="$d/data" \
    -Dcassandra.logdir="$LOGS/$u" -Dlogback.configurationFile="$d/conf/logback.xml" \
    -cp "$d/conf:$lib/*" org.apache.cassandra.service.CassandraDaemon
}

start_kafka() {  # kafka-N: broker 1909(1+N), controller 1919(1+N)
  local u=$1 n; n="$(num "$1")"
  local d="$VAR/$u" lib="$cache/kafka"
  mkdir -p "$d/data" "$LOGS/$u"
  { grep -v '^controller.quorum.bootstrap.servers=' config/kafka/server.properties | sed "s#@DATA_DIR@#$d/data#g"
    sed -e "s/@ID@/$n/g" -e "s/@PORT@/$((19091 + n))/g" -e "s/@CONTROLLER_PORT@/$((19191 + n))/g" \
        -e "s/@VOTERS@/$KAFKA_VOTERS/g" config/cluster/kafka.properties
  } >"$d/server.properties"
  cp config/kafka/log4j2.properties "$d/log4j2.properties"
  local opts=(-Dkafka.logs.dir="$LOGS/$u" -Dlog4j2.configurationFile="file:$d/log4j2.properties" -cp "$lib/*")
  if [ ! -f "$d/data/meta.properties" ]; then  # a static quorum: every node formatted with one cluster id
    "$JAVA" "${opts[@]}" kafka.tools.StorageTool format --ignore-formatted -t "$kafka_id" \
      -c "$d/server.properties" >"$LOGS/$u/format.out" 2>&1 \
      || { cat "$LOGS/$u/format.out" >&2; die "$u: formatting $d/data failed"; }
  fi
  mapfile -t jvm < <(jvm_options config/kafka/jvm.options; jvm_options config/cluster/kafka-jvm.options)
  launch "$u" "$JAVA" "$(marker "$u")" "${jvm[@]}" "${opts[@]}" kafka.Kafka "$d/server.properties"
}

start_unit() { case "$1" in spark-*) start_spark "$1" ;; cassandra-*) start_cassandra "$1" ;; kafka-*) start_kafka "$1" ;; esac; }

show_logs() {
  local f
  for f in "$LOGS/$1"/*.log "$LOGS/$1/$1.out"; do
    [ -f "$f" ] || continue
    echo "---- tail of ${f#"$ROOT"/} ----" >&2; tail -n 30 "$f" >&2
  done
}

kafka_cluster_id() {  # one id for the three nodes: reuse a formatted node's, else a new one
  local f
  for f in "$VAR"/kafka-*/data/meta.properties; do
    [ -f "$f" ] && { sed -n 's/^cluster.id=//p' "$f"; return; }
  done
  "$PY" scripts/kafka_cluster_id.py
}

up() {
  local t0=$SECONDS
  bash scripts/fetch-jars.sh kafka cassandra
  cache="$("$PY" -c 'from pipeline.settings import get; s = get(); print(s.path(s.jar_cache))')"
  kafka_id="$(kafka_cluster_id)"
  mkdir -p "$VAR" "$LOGS"
  local u waits=()
  exec 9>"$VAR/.lock"  # two `up`s at once must not both launch a JVM: decide under a lock, wait outside
  flock 9
  for u in "$@"; do
    if probe "$u" 0 >/dev/null 2>&1; then
      echo "cluster: $u already answering"
      continue
    fi
    if [ -z "$(pids_of "$u")" ]; then
      echo "cluster: starting $u"
      start_unit "$u"
    else
      pids_of "$u" | head -1 >"$(pidfile "$u")"
      echo "cluster: $u is starting (pid $(cat "$(pidfile "$u")"))"
    fi
    waits+=("$u")
  done
  flock -u 9
  [ ${#waits[@]} -gt 0 ] || return 0
  local -A job
  for u in "${waits[@]}"; do
    probe "$u" "$TIMEOUT" "$(cat "$(pidfile "$u")")" & job[$u]=$!
  done
  local failed=0 rc
  for u in "${waits[@]}"; do
    rc=0; wait "${job[$u]}" || rc=$?
    case $rc in
      0) ;;
      2) echo "cluster: $u exited while starting" >&2; show_logs "$u"; failed=1 ;;
      *) echo "cluster: $u not answering after ${TIMEOUT} s" >&2; show_logs "$u"; failed=1 ;;
    esac
  done
  [ $failed = 0 ] && echo "cluster: up in $((SECONDS - t0)) s (${waits[*]})"
  return $failed
}

stop_one() {
  local u=$1 pids; pids="$(pids_of "$u")"
  if [ -n "$pids" ]; then
    echo "cluster: stopping $u (pid $(echo $pids))"
    local p
    for p in $pids; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true; done
    local i
    for ((i = 0; i < 60; i++)); do  # Cassandra drains and Kafka hands over leadership on SIGTERM
      [ -z "$(pids_of "$u")" ] && break
      sleep 0.5
    done
    pids="$(pids_of "$u")"
    if [ -n "$pids" ]; then
      echo "cluster: $u did not stop in 30 s, killing (pid $(echo $pids))" >&2
      for p in $pids; do kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true; done
    fi
  fi
  # what is left of the unit's session (a worker's executors): the pid file's process group
  local pg; pg="$(cat "$(pidfile "$u")" 2>/dev/null || true)"
  if [ -n "$pg" ] && pgrep -g "$pg" >/dev/null 2>&1; then
    kill -TERM -- "-$pg" 2>/dev/null || true; sleep 2; kill -KILL -- "-$pg" 2>/dev/null || true
  fi
  rm -f "$(pidfile "$u")"
}

down() {
  local u jobs=()
  for u in "$@"; do stop_one "$u" & jobs+=($!); done
  for j in "${jobs[@]}"; do wait "$j"; done
}

rss_kb() {  # resident memory of a process group (the JVM and any children)
  ps -o rss= -g "$1" 2>/dev/null | awk '{s += $1} END {print s + 0}'
}

status() {
  local u rc=0 total=0
  for u in "$@"; do
    local pid; pid="$(pids_of "$u" | head -1)"
    local rss=0; [ -n "$pid" ] && rss="$(rss_kb "$pid")"
    total=$((total + rss))
    if probe "$u" 0 >/dev/null 2>&1; then
      echo "$u: answering (pid ${pid:-?}, RSS $((rss / 1024)) MiB)"
    elif [ -n "$pid" ]; then
      echo "$u: running but not answering (pid $pid)"; rc=3
    else
      echo "$u: stopped"; rc=3
    fi
  done
  echo "cluster: total RSS $((total / 1024)) MiB"
  return $rc
}

cmd="${1:-}"; shift || true
units=()
for p in "${@:-all}"; do
  case "$p" in
    all) units+=("${ALL[@]}") ;;
    spark) units+=(spark-master spark-worker-1 spark-worker-2) ;;
    cassandra) units+=(cassandra-1 cassandra-2) ;;
    kafka) units+=(kafka-1 kafka-2 kafka-3) ;;
    spark-master|spark-worker-[12]|cassandra-[12]|kafka-[123]) units+=("$p") ;;
    *) die "unknown part '$p' (all, spark, cassandra, kafka or a unit: ${ALL[*]})" ;;
  esac
done
case "$cmd" in
  up) up "${units[@]}" ;;
  down) down "${units[@]}" ;;
  status) status "${units[@]}" ;;
  *) echo "usage: bash scripts/cluster.sh up|down|status [all|spark|cassandra|kafka|UNIT...]" >&2; exit 2 ;;
esac
