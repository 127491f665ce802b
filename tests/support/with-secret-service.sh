#!/usr/bin/env bash
# Runs "$@" inside a private D-Bus session bus with a real, unlocked
# Secret Service (Debian's gnome-keyring), and a throwaway HOME so the test
# keyring is thrown away with it. Needs: dbus (dbus-run-session, dbus-send)
# and gnome-keyring.
set -euo pipefail

for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || {
    echo "with-secret-service: $tool is missing; apt-get install -y dbus gnome-keyring" >&2
    exit 127
  }
done

if [[ -z "${CREDTOP_SECRET_SESSION:-}" ]]; then
  export CREDTOP_SECRET_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi

keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
export HOME="$keyring_home" XDG_DATA_HOME="$keyring_home/data" XDG_CONFIG_HOME="$keyring_home/config"

# Unlock (creating) the login keyring with a password read from stdin.
printf 'credtop-test-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null

# Wait until the daemon owns org.freedesktop.secrets; without this wait, D-Bus
# activation starts a second, locked daemon and every call fails.
for _ in $(seq 1 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; then
    exec "$@"
  fi
  sleep 0.05
done
echo "with-secret-service: org.freedesktop.secrets never got an owner" >&2
exit 1
