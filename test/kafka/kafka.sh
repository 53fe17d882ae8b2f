#!/usr/bin/env bash
# Run a real single-node Apache Kafka broker (KRaft, combined broker+controller)
# on 127.0.0.1 for tests. Jars come from Maven Central via Maven (pom.xml next
# to this script) and run on the machine's JDK (17+).
#
#   kafka.sh fetch    resolve the broker jars into the cache (once)
#   kafka.sh start    fetch if needed, wipe the data dir (unless KAFKA_KEEP_DATA=1), start, wait
#                     until ready
#   kafka.sh stop     stop the broker started by this script (SIGTERM, then SIGKILL)
#   kafka.sh status   exit 0 and print KAFKA_BROKERS=... if it is running
#
# Only the KAFKA_BROKERS=... line goes to stdout; everything else goes to stderr.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/pom.xml"

KAFKA_VERSION="$(sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' "$POM" | head -n 1)"
if [[ -z "$KAFKA_VERSION" ]]; then
  echo "kafka.sh: cannot read <kafka.version> from $POM" >&2
  exit 2
fi

CACHE_ROOT="${CONCORD_CACHE_DIR:-$HOME/.cache/concord}"
KAFKA_HOME_DIR="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS_DIR="$KAFKA_HOME_DIR/libs"
MARKER="$KAFKA_HOME_DIR/libs.complete"
RUN_DIR="$KAFKA_HOME_DIR/run"

HOST=127.0.0.1
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_HOME_DIR/data-$PORT}"
LOG_DIR="${KAFKA_LOG_DIR:-$KAFKA_HOME_DIR/logs}"
LOG_FILE="$LOG_DIR/kafka-$PORT.log"
PID_FILE="$RUN_DIR/kafka-$PORT.pid"
LOCK_FILE="$RUN_DIR/kafka-$PORT.lock"
SERVER_PROPS="$RUN_DIR/server-$PORT.properties"
LOG4J_PROPS="$RUN_DIR/log4j.properties"
LOG4J2_PROPS="$RUN_DIR/log4j2.properties"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}"
JAVA_BIN="${JAVA_HOME:+$JAVA_HOME/bin/}java"
BROKERS="$HOST:$PORT"
# A node of a cluster: its id, every controller of the quorum (id@host:port,...), the cluster id
# all nodes format their storage with, and the replication factor of internal and new topics.
NODE_ID="${KAFKA_NODE_ID:-1}"
QUORUM_VOTERS="${KAFKA_QUORUM_VOTERS:-$NODE_ID@$HOST:$CONTROLLER_PORT}"
CLUSTER_ID="${KAFKA_CLUSTER_ID:-}"
REPLICATION="${KAFKA_REPLICATION:-1}"
MIN_ISR=$((REPLICATION > 1 ? 2 : 1))

log() { echo "kafka.sh: $*" >&2; }
die() { log "$*"; exit 1; }

usage() {
  cat >&2 <<EOF
usage: $(basename -- "$0") fetch|start|stop|status

Kafka $KAFKA_VERSION, cache: $KAFKA_HOME_DIR
usage: $(basename -- "$0") kill     # SIGKILL the broker on KAFKA_PORT (a crash, for tests)
env: CONCORD_CACHE_DIR KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_DATA_DIR KAFKA_LOG_DIR KAFKA_KEEP_DATA
     KAFKA_START_TIMEOUT KAFKA_STOP_TIMEOUT KAFKA_HEAP_OPTS KAFKA_JVM_OPTS JAVA_HOME
     cluster nodes: KAFKA_NODE_ID KAFKA_QUORUM_VOTERS KAFKA_CLUSTER_ID KAFKA_REPLICATION
EOF
}

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }

libs_complete() {
  [[ -f "$MARKER" ]] && [[ "$(cat "$MARKER")" == "$(pom_hash)" ]] \
    && [[ -f "$LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]]
}

cmd_fetch() {
  if libs_complete; then
    log "Kafka $KAFKA_VERSION jars already in $LIBS_DIR"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found on PATH"
  mkdir -p "$KAFKA_HOME_DIR"
  # One fetch at a time per version (parallel `start`s on different ports).
  exec 8>"$KAFKA_HOME_DIR/fetch.lock"
  flock -w 900 8 || die "timed out waiting for $KAFKA_HOME_DIR/fetch.lock"
  if libs_complete; then
    exec 8>&-
    log "Kafka $KAFKA_VERSION jars already in $LIBS_DIR"
    return 0
  fi
  rm -f "$MARKER"
  # Leftovers of an interrupted fetch.
  rm -rf "$KAFKA_HOME_DIR"/libs.tmp.*
  local tmp="$KAFKA_HOME_DIR/libs.tmp.$$"
  log "resolving Kafka $KAFKA_VERSION jars with Maven into $LIBS_DIR"
  # Debian's mvn prints bare ANSI resets even with -q -B: strip them.
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 \
      | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2; then
    rm -rf "$tmp"
    die "mvn failed to resolve Kafka $KAFKA_VERSION"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || { rm -rf "$tmp"; die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn"; }
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  pom_hash >"$MARKER"
  exec 8>&-
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars into $LIBS_DIR"
}

# Pid of the broker this script started on $PORT, if it is still alive.
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

port_open() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$HOST" "$1" 2>/dev/null
}

# Send a real Metadata v4 request (all topics) and check that the answer
# carries our correlation id and lists brokers (node 1 first, on a single node). Pure bash, no JVM.
metadata_ok() {
  local hex
  # shellcheck disable=SC2016 # expanded by the inner bash
  hex="$(timeout 5 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    # size=22 | api_key=3 (Metadata) | version=4 | correlation_id=42 |
    # client_id="concord" | topics=null (-1) | allow_auto_topic_creation=false
    printf "\x00\x00\x00\x16\x00\x03\x00\x04\x00\x00\x00\x2a\x00\x07concord\xff\xff\xff\xff\x00" >&3
    od -An -v -tx1 -N20 <&3
  ' "$HOST" "$PORT" 2>/dev/null | tr -d ' \n')" || return 1
  # bytes: size(4) corr_id(4) throttle(4) broker_count(4) first_node_id(4)
  [[ "${hex:8:8}" == "0000002a" && "${hex:24:8}" != "00000000" ]] || return 1
  [[ -n "${KAFKA_QUORUM_VOTERS:-}" || "${hex:32:8}" == "00000001" ]]
}

broker_ready() {
  port_open "$PORT" && grep -q 'Kafka Server started' "$LOG_FILE" 2>/dev/null && metadata_ok
}

write_configs() {
  cat >"$SERVER_PROPS" <<EOF
# generated by $SCRIPT_DIR/kafka.sh -- do not edit
node.id=$NODE_ID
process.roles=broker,controller
controller.quorum.voters=$QUORUM_VOTERS
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$DATA_DIR
num.partitions=3
default.replication.factor=$REPLICATION
min.insync.replicas=$MIN_ISR
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=$REPLICATION
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$REPLICATION
transaction.state.log.min.isr=$MIN_ISR
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=$REPLICATION
share.coordinator.state.topic.min.isr=$MIN_ISR
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
EOF
  # Kafka 3.x logs through reload4j (log4j 1.x), 4.x through log4j2: write
  # both; each version reads its own. Everything goes to stdout -> $LOG_FILE.
  cat >"$LOG4J_PROPS" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.kafka.controller=INFO
log4j.logger.state.change.logger=INFO
EOF
  cat >"$LOG4J2_PROPS" <<'EOF'
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRefs = stdout
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
}

random_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && { echo "$id"; return; }
  done
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "broker process $pid exited during startup"
      return 1
    fi
    broker_ready && return 0
    sleep 0.5
  done
  log "broker not ready after ${START_TIMEOUT}s"
  return 1
}

show_log_tail() {
  log "last 50 lines of $LOG_FILE:"
  tail -n 50 "$LOG_FILE" >&2 2>/dev/null || true
}

stop_pid() {
  local pid="$1" deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "broker $pid still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
}

cmd_start() {
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  # Serialise concurrent `start`s for the same port (e.g. parallel test runners).
  exec 9>"$LOCK_FILE"
  flock -w "$((START_TIMEOUT + 60))" 9 || die "timed out waiting for $LOCK_FILE"

  local pid
  if pid="$(running_pid)"; then
    log "Kafka broker already running (pid $pid) on $BROKERS, log: $LOG_FILE"
    wait_ready "$pid" || { show_log_tail; exit 1; }
    echo "KAFKA_BROKERS=$BROKERS"
    return 0
  fi
  rm -f "$PID_FILE"
  port_open "$PORT" && die "port $HOST:$PORT is in use by another process (not a Kafka $KAFKA_VERSION broker started by this script; a broker of another version must be stopped with that version's script)"
  port_open "$CONTROLLER_PORT" && die "controller port $HOST:$CONTROLLER_PORT is in use by another process"

  cmd_fetch
  [[ -n "$DATA_DIR" && "$DATA_DIR" != "/" ]] || die "refusing to use data dir '$DATA_DIR'"
  # KAFKA_KEEP_DATA=1 restarts a broker on the data it had (a restart, not a new cluster).
  local keep=""
  if [[ "${KAFKA_KEEP_DATA:-}" == "1" && -f "$DATA_DIR/meta.properties" ]]; then keep=1; fi
  if [[ -z "$keep" ]]; then
    rm -rf "$DATA_DIR"
  fi
  mkdir -p "$DATA_DIR"
  write_configs
  : >"$LOG_FILE"

  local cp="$LIBS_DIR/*"
  local -a sysprops=(
    "-Dlog4j.configuration=file:$LOG4J_PROPS"
    "-Dlog4j2.configurationFile=$LOG4J2_PROPS"
    "-Dkafka.logs.dir=$LOG_DIR"
  )
  local -a heap jvm
  read -r -a heap <<<"$HEAP_OPTS"
  read -r -a jvm <<<"$JVM_OPTS"

  if [[ -n "$keep" ]]; then
    log "keeping the KRaft storage in $DATA_DIR (KAFKA_KEEP_DATA=1)"
  else
    log "formatting KRaft storage in $DATA_DIR"
    if ! "$JAVA_BIN" "${sysprops[@]}" -cp "$cp" kafka.tools.StorageTool format \
        -t "${CLUSTER_ID:-$(random_cluster_id)}" -c "$SERVER_PROPS" >>"$LOG_FILE" 2>&1; then
      show_log_tail
      die "formatting storage failed"
    fi
  fi

  log "starting Kafka $KAFKA_VERSION on $BROKERS (controller $HOST:$CONTROLLER_PORT), log: $LOG_FILE"
  # New session (setsid) so the broker outlives the calling shell and its
  # terminal; the wrapper writes its own pid and then execs java (same pid).
  # shellcheck disable=SC2016 # expanded by the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
    "$JAVA_BIN" "${heap[@]}" "${jvm[@]}" "${sysprops[@]}" -cp "$cp" kafka.Kafka "$SERVER_PROPS" \
    </dev/null >>"$LOG_FILE" 2>&1 8>&- 9>&- &

  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$PID_FILE" ]] && break
    sleep 0.1
  done
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || { show_log_tail; die "broker did not start (no pid)"; }

  if ! wait_ready "$pid"; then
    show_log_tail
    stop_pid "$pid"
    rm -f "$PID_FILE"
    exit 1
  fi
  log "Kafka $KAFKA_VERSION ready (pid $pid) after ${SECONDS}s"
  echo "KAFKA_BROKERS=$BROKERS"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    log "no Kafka broker started by this script is running on $BROKERS"
    rm -f "$PID_FILE"
    return 0
  fi
  log "stopping Kafka broker (pid $pid) on $BROKERS"
  stop_pid "$pid"
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_kill() {
  local pid
  pid="$(running_pid)" || { log "no Kafka broker started by this script is running on $BROKERS"; return 0; }
  log "killing Kafka broker (pid $pid) on $BROKERS with SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$PID_FILE"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    log "Kafka $KAFKA_VERSION running (pid $pid), log: $LOG_FILE"
    echo "KAFKA_BROKERS=$BROKERS"
    return 0
  fi
  log "Kafka broker not running on $BROKERS"
  return 1
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  kill) cmd_kill ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac
