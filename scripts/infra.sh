#!/usr/bin/env bash
# Leaves a running Kafka broker and PostgreSQL, or stops what it started.
#   scripts/infra.sh up     idempotent; waits until both answer; prints the endpoints as env lines
#   scripts/infra.sh down   stops the local broker (PostgreSQL is the machine's, left running)
#   scripts/infra.sh env    prints KAFKA_BROKERS / DATABASE_URL for the running infrastructure
#   scripts/infra.sh fetch  downloads the Kafka broker's jars and S3Mock (an S3 test server) into .cache/
# KAFKA_BROKERS and DATABASE_URL, when set, are used as given and nothing is started for them.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache/kafka"
data="$root/.data/kafka"
kafka_port="${PIPEWRIGHT_KAFKA_PORT:-9092}"
controller_port="${PIPEWRIGHT_KAFKA_CONTROLLER_PORT:-9093}"
default_db_url="postgres://postgres@127.0.0.1:5432/pipewright"
databases=(pipewright pipewright_test)
s3mock_version=4.11.0 # keep in step with libs/artifact-store/test/s3mock-server.ts

say() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # what, seconds, command...
  local what="$1" seconds="$2"; shift 2
  local i
  for ((i = 0; i < seconds * 4; i++)); do
    if "$@" >/dev/null; then return 0; fi
    sleep 0.25
  done
  return 1
}

kafka_jars() {
  if [ -f "$cache/libs/kafka_2.13-3.9.1.jar" ] && [ -f "$cache/libs/slf4j-reload4j-1.7.36.jar" ]; then return; fi
  command -v java >/dev/null || die "Java 17 is needed to run the local Kafka broker (or set KAFKA_BROKERS)."
  command -v mvn >/dev/null || die "Maven is needed to fetch the Kafka broker from Maven Central (or set KAFKA_BROKERS)."
  say "fetching Apache Kafka 3.9.1 from Maven Central into .cache/kafka"
  mkdir -p "$cache"
  (cd "$root/scripts/kafka" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$cache/libs") \
    || die "mvn could not fetch org.apache.kafka:kafka_2.13:3.9.1"
}

# S3Mock is no service: the artifact store's tests start it themselves (libs/artifact-store/test/s3mock-server.ts).
s3mock_jar() {
  if [ -f "$root/.cache/s3mock/s3mock-$s3mock_version-exec.jar" ]; then return; fi
  command -v mvn >/dev/null || die "Maven is needed to fetch S3Mock from Maven Central."
  say "fetching Adobe S3Mock $s3mock_version from Maven Central into .cache/s3mock"
  (cd "$root" && mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="com.adobe.testing:s3mock:$s3mock_version:jar:exec" -DoutputDirectory="$root/.cache/s3mock") \
    || die "mvn could not fetch com.adobe.testing:s3mock:$s3mock_version:jar:exec"
}

kafka_java() { # main class, args...
  local cls="$1"; shift
  java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$root/scripts/kafka/log4j.properties" -Dkafka.logs.dir="$data/logs" \
    -cp "$cache/libs/*" "$cls" "$@"
}

kafka_up() {
  if [ -n "${KAFKA_BROKERS:-}" ]; then say "using KAFKA_BROKERS=$KAFKA_BROKERS"; return; fi
  if port_open "$kafka_port"; then say "Kafka already answers on 127.0.0.1:$kafka_port"; return; fi
  command -v java >/dev/null || die "Java 17 is needed to run the local Kafka broker (or set KAFKA_BROKERS)."
  kafka_jars
  mkdir -p "$data/logs" "$data/log-dirs"
  cat >"$data/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data/log-dirs
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.hours=168
num.network.threads=2
num.io.threads=4
EOF
  if [ ! -f "$data/log-dirs/meta.properties" ]; then
    say "formatting KRaft storage"
    kafka_java kafka.tools.StorageTool format -t "pipewright-local-cluster-01" -c "$data/server.properties" --ignore-formatted >"$data/logs/format.log" 2>&1 \
      || die "formatting Kafka storage failed: see .data/kafka/logs/format.log"
  fi
  say "starting Kafka 3.9.1 (KRaft, one node) on 127.0.0.1:$kafka_port"
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$root/scripts/kafka/log4j.properties" -Dkafka.logs.dir="$data/logs" \
    -cp "$cache/libs/*" kafka.Kafka "$data/server.properties" >"$data/logs/stdout.log" 2>&1 &
  echo $! >"$data/kafka.pid"
  wait_for kafka 90 port_open "$kafka_port" || die "Kafka did not answer on 127.0.0.1:$kafka_port within 90 s: see .data/kafka/logs/"
  say "Kafka answers"
}

kafka_down() {
  [ -f "$data/kafka.pid" ] || { say "no local Kafka started by this script"; return; }
  local pid; pid="$(cat "$data/kafka.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    say "stopping Kafka (pid $pid)"
    kill "$pid"
    wait_for kafka-stop 60 bash -c "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$data/kafka.pid"
}

psql_url() { psql "$1" -Atqc "$2" 2>/dev/null; }

postgres_up() {
  local url="${DATABASE_URL:-$default_db_url}"
  if [ -z "${DATABASE_URL:-}" ]; then
    command -v psql >/dev/null || die "PostgreSQL client (psql) is missing; install PostgreSQL or set DATABASE_URL."
    if ! port_open 5432; then
      command -v pg_ctlcluster >/dev/null || die "PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is missing: start it or set DATABASE_URL."
      say "starting the local PostgreSQL cluster"
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || die "could not start PostgreSQL"
    fi
    wait_for postgres 60 psql_url "postgres://postgres@127.0.0.1:5432/postgres" "select 1" || die "PostgreSQL did not answer on 127.0.0.1:5432"
    local db
    for db in "${databases[@]}"; do
      if [ "$(psql_url "postgres://postgres@127.0.0.1:5432/postgres" "select 1 from pg_database where datname='$db'")" != "1" ]; then
        psql_url "postgres://postgres@127.0.0.1:5432/postgres" "create database $db" >/dev/null || die "could not create database $db"
        say "created database $db"
      fi
    done
  else
    wait_for postgres 60 psql_url "$url" "select 1" || die "PostgreSQL at DATABASE_URL does not answer"
  fi
  say "PostgreSQL answers"
}

case "${1:-up}" in
  up)
    postgres_up
    kafka_up
    echo "KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:$kafka_port}"
    echo "DATABASE_URL=${DATABASE_URL:-$default_db_url}"
    ;;
  down) kafka_down ;;
  env)
    echo "KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:$kafka_port}"
    echo "DATABASE_URL=${DATABASE_URL:-$default_db_url}"
    ;;
  fetch) kafka_jars; s3mock_jar ;;
  *) die "usage: scripts/infra.sh up|down|env|fetch" ;;
esac
