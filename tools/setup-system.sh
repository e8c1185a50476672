#!/usr/bin/env bash
# Installs the Debian packages the tests and tools need (PostgreSQL server, Chromium for the explorer's
# browser tests). Idempotent; does nothing when everything is present. Needs root (CI runs as root).
# --best-effort (used by `npm test`): without root, name what is missing and go on instead of failing.
set -euo pipefail
best_effort=0
[ "${1:-}" = "--best-effort" ] && best_effort=1
need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup-system: need root to install: ${need[*]} (run: sudo bash tools/setup-system.sh)" >&2
    if [ $best_effort = 1 ]; then echo "setup-system: going on; the suites that need them will fail" >&2; exit 0; fi
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
echo "setup-system: ok (postgresql, chromium)"
