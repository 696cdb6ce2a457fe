#!/usr/bin/env bash
# `make jars`: copy the Kafka broker, Cassandra server, Spark Kafka-connector and Delta Lake jars from
# Maven Central into the jar cache (setting jar_cache, default .cache/jars), one folder per pom:
#   <jar_cache>/kafka/  <jar_cache>/cassandra/  <jar_cache>/spark-kafka/  <jar_cache>/delta/
# Each folder is described by a small pom under config/ and carries a stamp with that pom's hash,
# so a warm run does nothing and an edited pom refetches only its own folder. Maven uses the
# default ~/.m2 cache (CI keeps it between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"

if [ -x .venv/bin/python ]; then
  cache="$(.venv/bin/python -c 'from pipeline.settings import get; s = get(); print(s.path(s.jar_cache))')"
else
  cache="${NYC311_JAR_CACHE:-.cache/jars}"
fi
case "$cache" in /*) ;; *) cache="$PWD/$cache" ;; esac

# server folder -> pom
declare -A POMS=([kafka]=config/kafka/pom.xml [cassandra]=config/cassandra/pom.xml [spark-kafka]=config/spark/pom.xml [delta]=config/delta/pom.xml)

fetch() {
  local server=$1 pom=${POMS[$1]} dest="$cache/$1"
  local want; want="$(sha256sum "$pom" | cut -d' ' -f1)"
  if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$want" ]; then
    return 0
  fi
  command -v mvn >/dev/null || { echo "fetch-jars: mvn not found (apt-get install maven)" >&2; return 1; }
  local tmp="$dest.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  echo "fetch-jars: $server <- $pom"
  if ! mvn -B -q -f "$pom" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    echo "fetch-jars: Maven could not fetch the $server jars (see above)" >&2
    return 1
  fi
  rm -f "$tmp.log"
  echo "$want" >"$tmp/.stamp"
  rm -rf "$dest"
  mv "$tmp" "$dest"
}

servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(kafka cassandra spark-kafka delta)
for s in "${servers[@]}"; do
  [ -n "${POMS[$s]:-}" ] || { echo "fetch-jars: unknown server '$s' (kafka, cassandra, spark-kafka, delta)" >&2; exit 2; }
  fetch "$s"
done
