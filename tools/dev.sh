#!/usr/bin/env bash
# The developer entry point behind `npm start` and `npm test` (see README.md).
#   start            start the platform on its embedded default
#   test [args]      provision services, run every test tier of every project in one vitest run
#                    (one summary line), stop what it started; args go to vitest (a path, -t NAME)
#   bench            run the benchmarks (event store, read-model rebuild, log tree, audit verification,
#                    end-to-end ingest, API); starts the services
#   check            formatting, then lint and typecheck every project (Nx, cached)
#   services up|down|status   bring the test services up or down from a shell
set -euo pipefail

CONCORD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tools/bootstrap.sh
source "$CONCORD_ROOT/tools/bootstrap.sh"
# shellcheck source=tools/system.sh
source "$CONCORD_ROOT/tools/system.sh"
cd "$CONCORD_ROOT"

# `--` ends node's own options: Node 24 otherwise takes a script's `--env-file FILE` for itself.
run_ts() { node --experimental-strip-types --no-warnings=ExperimentalWarning -- "$@"; }

services() {
  run_ts libs/test-infra/src/cli.ts "$@"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  start)
    bootstrap
    # The dashboard the platform serves at /: rebuilt only when its sources are newer than it.
    web="$CONCORD_ROOT/apps/web"
    if [ ! -f "$web/dist/index.html" ] ||
      [ -n "$(find "$web/src" "$web/index.html" "$web"/vite.config.* -newer "$web/dist/index.html" -print -quit 2>/dev/null)" ]; then
      log "Building the dashboard (apps/web/dist is missing or older than its sources)…"
      (cd "$CONCORD_ROOT" && NODE_ENV=production pnpm --filter @concord/web run build)
    fi
    if [ -f apps/platform/src/main.ts ]; then
      exec bash "$CONCORD_ROOT/tools/start-embedded.sh" "$@"
    fi
    log "The embedded platform does not exist yet: nothing to start (see the open issues)."
    exit 2
    ;;
  test)
    ensure_system_services
    bootstrap
    # One Kafka broker (and one PostgreSQL choice) for the whole run; every project's vitest
    # global set-up sees these variables and reuses them instead of starting its own.
    env_file="$(mktemp)"
    services up --env-file "$env_file"
    trap 'services down || true; rm -f "$env_file"' EXIT
    set -a
    # shellcheck disable=SC1090
    source "$env_file"
    set +a
    export KAFKAJS_NO_PARTITIONER_WARNING=1
    pnpm exec vitest run "$@"
    ;;
  bench)
    ensure_postgres
    bootstrap
    bench_started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    # The embedded platform first, on a quiet machine (it uses no server; run after the benches
    # that fill PostgreSQL with a million events, a restart took 3.1 s, and 2.2 s alone straight
    # after): restart on an existing folder, RSS under the demo feed.
    pnpm --filter @concord/platform run bench --minutes 10
    pnpm --filter @concord/event-store-postgres run bench
    pnpm --filter @concord/read-model run bench
    pnpm --filter @concord/read-model run bench --pglite --events 20000
    pnpm --filter @concord/evidence run bench
    # audit verify --all and the standalone verifier, against Ed25519 alone on every core; on
    # PostgreSQL when DATABASE_URL is set, else on an in-memory PGlite.
    pnpm --filter @concord/audit run bench
    # The ingest and API benchmarks need the Kafka broker too.
    env_file="$(mktemp)"
    services up --env-file "$env_file"
    trap 'services down || true; rm -f "$env_file"' EXIT
    set -a
    # shellcheck disable=SC1090
    source "$env_file"
    set +a
    pnpm --filter @concord/ingest-app run bench --growth 1000000
    pnpm --filter @concord/api run bench --growth 1000000
    node --experimental-strip-types --no-warnings=ExperimentalWarning tools/bench-summary.ts \
      --since "$bench_started"
    ;;
  check)
    bootstrap
    pnpm exec prettier --check --log-level warn .
    pnpm exec nx run-many -t lint typecheck --outputStyle=stream "$@"
    ;;
  services)
    bootstrap
    services "$@"
    ;;
  *)
    echo "usage: tools/dev.sh start | test [vitest args] | bench | check | services up|down|status" >&2
    exit 64
    ;;
esac
