# shellcheck shell=bash
# Sourced by tools/dev.sh. System-level prerequisites of the integration tests: a PostgreSQL
# server on 127.0.0.1:5432, a JDK + Maven for the local Kafka broker, and Chromium for the
# dashboard's browser tests (Playwright drives the machine's browser; it never downloads one). On a machine that lacks
# them it starts or installs them from Debian's packages (as root), and otherwise says what is
# missing; the test harness then decides whether that means "skipped" or, under CI, "failed".

pg_answers() {
  (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
}

can_apt() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
}

# Runs apt-get under one machine-wide lock, so parallel provisioning runs wait for each other.
locked_apt_get() {
  if command -v flock >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive flock /tmp/concord-apt.lock apt-get "$@"
  else
    DEBIAN_FRONTEND=noninteractive apt-get "$@"
  fi
}

apt_install() {
  log "installing from Debian's packages: $*"
  if [ -z "${CONCORD_APT_UPDATED:-}" ]; then
    locked_apt_get update -qq >/dev/null
    CONCORD_APT_UPDATED=1
  fi
  locked_apt_get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_postgres() {
  [ -n "${DATABASE_URL:-}" ] && return
  pg_answers && return
  if ! command -v pg_ctlcluster >/dev/null 2>&1 && can_apt; then
    apt_install postgresql || { log "could not install PostgreSQL"; return; }
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    local version
    version="$(ls /etc/postgresql | sort -V | tail -n1)"
    # The tests connect over TCP without a password, as on the project's machines.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    if [ -w "$hba" ] && ! grep -q 'concord-test-trust' "$hba"; then
      printf '# concord-test-trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n%s\n' "$(cat "$hba")" >"$hba"
    fi
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
    if pg_answers && command -v psql >/dev/null 2>&1; then
      # Debian's fresh cluster has only the postgres role; the harness connects as postgres.
      su postgres -c "psql -qtAc \"select 1 from pg_database where datname='test'\"" 2>/dev/null | grep -q 1 ||
        su postgres -c "createdb test" 2>/dev/null || true
    fi
  fi
  pg_answers || log "no PostgreSQL on 127.0.0.1:5432 (set DATABASE_URL to use another)"
}

ensure_java_and_maven() {
  [ -n "${KAFKA_BROKERS:-}" ] && return
  if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then return; fi
  if can_apt; then
    apt_install default-jre-headless maven || log "could not install a JDK and Maven"
  else
    log "no JDK/Maven: the local Kafka broker cannot be started (set KAFKA_BROKERS to use another)"
  fi
}

chromium_present() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then [ -x "$CHROMIUM_PATH" ]; return; fi
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
    command -v google-chrome >/dev/null 2>&1
}

# The dashboard's browser tests (apps/web/src/*.e2e.spec.ts) drive Debian's Chromium through
# Playwright; without it they are skipped with the reason, or fail under CI=true.
ensure_chromium() {
  chromium_present && return
  if can_apt; then
    apt_install chromium || log "could not install Chromium"
  else
    log "no Chromium: the dashboard's browser tests cannot run (apt-get install chromium, or set CHROMIUM_PATH)"
  fi
}

ensure_system_services() {
  ensure_postgres
  ensure_java_and_maven
  ensure_chromium
}
