#!/usr/bin/env bash
# Installs what the test suite needs and the machine may lack: Debian
# packages for the real Secret Service and the tmux tests, and the npm
# packages of the test authorization server (from its lock file).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(dbus gnome-keyring tmux)
# The fleet tests run a real three-member etcd cluster and read it with etcdctl.
packages+=(etcd-server etcd-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "test-deps: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

server=tests/authserver
if [[ -f $server/package-lock.json ]]; then
  if [[ ! -d $server/node_modules || $server/package-lock.json -nt $server/node_modules ]]; then
    echo "test-deps: npm ci in $server" >&2
    npm ci --prefix "$server" --no-audit --no-fund --loglevel=error
    touch "$server/node_modules"
  fi
fi

# git-credential tests (issue 12): real git, with git http-backend for the
# smart-HTTP clone test.
if ! command -v git >/dev/null || [[ ! -x $(git --exec-path 2>/dev/null)/git-http-backend ]]; then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "test-deps: installing git" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends git >/dev/null
fi

# The remote MCP server of the `mcp login` / `mcp connect` tests and the
# SDK client that drives the bridge (issue 11), from its lock file.
mcpserver=tests/mcpserver
if [[ -f $mcpserver/package-lock.json ]]; then
  if [[ ! -d $mcpserver/node_modules || $mcpserver/package-lock.json -nt $mcpserver/node_modules ]]; then
    echo "test-deps: npm ci in $mcpserver" >&2
    npm ci --prefix "$mcpserver" --no-audit --no-fund --loglevel=error
    touch "$mcpserver/node_modules"
  fi
fi
