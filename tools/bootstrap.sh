# shellcheck shell=bash
# Sourced by tools/dev.sh. Makes a fresh machine ready: a Node >= 22.12 on PATH (a pinned
# Node 24 from the npm registry when the machine's is older), the pinned pnpm, and the
# workspace's dependencies. Everything it fetches comes from the npm registry.

CONCORD_ROOT="${CONCORD_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
CONCORD_TOOLS="$CONCORD_ROOT/.tools"
# Pinned Node 24 LTS used when the machine's Node is too old; .nvmrc names the major.
CONCORD_NODE_VERSION="24.11.1"
CONCORD_NODE_MIN="22.12.0"

log() { printf '\033[1;34m[concord]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[concord]\033[0m %s\n' "$*" >&2; exit 1; }

version_at_least() { # version_at_least HAVE WANT
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

node_platform_package() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) die "unsupported OS $(uname -s): install Node >= $CONCORD_NODE_MIN yourself" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "unsupported CPU $(uname -m): install Node >= $CONCORD_NODE_MIN yourself" ;;
  esac
  echo "node-$os-$arch"
}

ensure_node() {
  local local_node="$CONCORD_TOOLS/node-$CONCORD_NODE_VERSION/bin/node"
  if [ -x "$local_node" ]; then
    export PATH="$(dirname "$local_node"):$PATH"
    return
  fi
  local have=""
  if command -v node >/dev/null 2>&1; then have="$(node -p 'process.versions.node')"; fi
  if [ -n "$have" ] && version_at_least "$have" "$CONCORD_NODE_MIN"; then
    return
  fi
  command -v npm >/dev/null 2>&1 || die "npm is needed to fetch Node $CONCORD_NODE_VERSION (found no npm)"
  local pkg tmp
  pkg="$(node_platform_package)"
  log "Node ${have:-none} is older than $CONCORD_NODE_MIN: fetching $pkg@$CONCORD_NODE_VERSION from the npm registry"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$pkg@$CONCORD_NODE_VERSION" >/dev/null) || die "could not fetch $pkg@$CONCORD_NODE_VERSION"
  mkdir -p "$CONCORD_TOOLS/node-$CONCORD_NODE_VERSION"
  tar -xzf "$tmp"/*.tgz -C "$CONCORD_TOOLS/node-$CONCORD_NODE_VERSION" --strip-components=1
  rm -rf "$tmp"
  chmod +x "$local_node"
  "$local_node" --version >/dev/null || die "the fetched Node does not run on this machine"
  export PATH="$(dirname "$local_node"):$PATH"
}

ensure_pnpm() {
  local want
  want="$(node -p "require('$CONCORD_ROOT/package.json').packageManager.split('@')[1]")"
  local prefix="$CONCORD_TOOLS/pnpm-$want"
  if [ ! -x "$prefix/bin/pnpm" ]; then
    log "installing pnpm $want from the npm registry into .tools/"
    npm install --silent --no-audit --no-fund --global --prefix "$prefix" "pnpm@$want" >/dev/null ||
      die "could not install pnpm $want"
  fi
  export PATH="$prefix/bin:$PATH"
}

ensure_dependencies() {
  local stamp="$CONCORD_ROOT/node_modules/.concord-install-stamp"
  local lock="$CONCORD_ROOT/pnpm-lock.yaml"
  # Reinstall only when the lockfile or a manifest changed since the last install.
  if [ -f "$stamp" ] && [ -z "$(find "$lock" "$CONCORD_ROOT/package.json" "$CONCORD_ROOT"/apps/*/package.json "$CONCORD_ROOT"/libs/*/package.json -newer "$stamp" 2>/dev/null)" ]; then
    return
  fi
  log "installing dependencies (pnpm install)"
  local frozen=()
  if [ "${CI:-}" = "true" ]; then frozen=(--frozen-lockfile); fi
  (cd "$CONCORD_ROOT" && pnpm install "${frozen[@]}" --reporter=append-only) || die "pnpm install failed"
  (cd "$CONCORD_ROOT" && pnpm run --if-present --recursive generate) || die "code generation failed"
  touch "$stamp"
}

bootstrap() {
  ensure_node
  ensure_pnpm
  ensure_dependencies
  export NX_NO_CLOUD=true NX_TUI=false
  log "node $(node --version), pnpm $(pnpm --version)"
}
