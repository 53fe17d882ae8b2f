#!/usr/bin/env bash
# The embedded platform's process (`npm start` runs it once set-up is done; its bench spawns the
# same), with the settings that keep its footprint small: V8's young generation held at 4 MB (it
# grows to 16 MB under the demo feed, about 100 MB of RSS the platform's pace does not need) and
# two malloc arenas (glibc's default gives every busy thread one, each kept at its high-water mark),
# and glibc's mmap and trim thresholds fixed at their 128 KiB defaults: left to themselves they rise
# with the first large block freed (up to 32 MiB), and from then on large blocks come from the heap
# and stay resident after they are freed (about 60 MB of RSS under the demo feed). And WebAssembly
# on V8's baseline compiler only (`--liftoff-only`): PGlite's PostgreSQL has one function of 100 KB
# (wasm-function#2196) that V8's optimizing compiler took 2 s and 601 MB to compile, a second or two
# after every start (`--trace-wasm-compilation-times`), so the process peaked at 730-800 MB before
# settling; on the baseline compiler alone it peaks at about 215 MB and a rebuild into PGlite runs
# about 13 % slower.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-131072}"
exec node --max-semi-space-size=4 --liftoff-only --experimental-strip-types --no-warnings=ExperimentalWarning \
  "$root/apps/platform/src/main.ts" "$@"
