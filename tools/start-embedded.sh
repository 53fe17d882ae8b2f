#!/usr/bin/env bash
# The embedded platform's process (`npm start` runs it once set-up is done; its bench spawns the
# same), with the settings that keep its footprint small: V8's young generation held at 4 MB (it
# grows to 16 MB under the demo feed, about 100 MB of RSS the platform's pace does not need) and
# two malloc arenas (glibc's default gives every busy thread one, each kept at its high-water mark).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec node --max-semi-space-size=4 --experimental-strip-types --no-warnings=ExperimentalWarning \
  "$root/apps/platform/src/main.ts" "$@"
