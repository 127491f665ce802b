#!/usr/bin/env python3
"""Writes a demo credtop home: a realistic mix of credentials in every zone,
a revoked lane, refresh history (history/<name>.jsonl) and the audit
trail that goes with it, and N-8 filler keys.

Usage: scripts/demo_home.py HOME [N]

Used by scripts/screenshots.sh and benches/dashboard_idle.sh. Files are
created 0600 and folders 0700 from the start, as credtop requires; the
secrets are fake and obviously so.
"""
import hashlib
import json
import os
import sys
from datetime import datetime, timedelta, timezone

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def ts(delta):
    return (NOW + delta).isoformat().replace("+00:00", "Z")


def write_private(path, data):
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(data)


def fingerprint(secret):
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:8]


def oauth(home, name, provider, created, expires, refresh=True, account=None, scope=""):
    secret = f"demo-access-{name}"
    body = {
        "provider": provider,
        "kind": "oauth",
        "access_token": secret,
        "refresh_token": f"demo-refresh-{name}" if refresh else None,
        "token_type": "Bearer",
        "scope": scope,
        "expires_at": ts(expires),
        "created_at": ts(created),
    }
    if account:
        body["account"] = account
    write_private(os.path.join(home, "oauth", f"{name}.json"), json.dumps(body, indent=2))
    return secret


def key(home, name, provider, created, expires=None, kind="api_key"):
    secret = f"demo-key-{name}"
    body = {
        "provider": provider,
        "kind": kind,
        "key": secret,
        "scope": "",
        "expires_at": ts(expires) if expires is not None else None,
        "created_at": ts(created),
    }
    write_private(os.path.join(home, "keys", f"{name}.json"), json.dumps(body, indent=2))
    return secret


def audit(name, provider, event, outcome, ago, latency=None, kind=None, secret="x"):
    rec = {
        "ts": ts(-ago),
        "event": event,
        "credential": name,
        "provider": provider,
        "actor": "daemon",
        "pid": 4242,
        "outcome": outcome,
        "fingerprint": fingerprint(secret),
    }
    if latency is not None:
        rec["latency_ms"] = latency
    if kind:
        rec["kind"] = kind
    return json.dumps(rec)


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        # Never a home named like an option (`--help` once made one).
        sys.exit("usage: demo_home.py HOME [N]")
    home = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    os.umask(0o077)
    for sub in ("", "oauth", "keys", "locks", "state", "history"):
        os.makedirs(os.path.join(home, sub), mode=0o700, exist_ok=True)
    m, h, d = (lambda x: timedelta(minutes=x)), (lambda x: timedelta(hours=x)), (lambda x: timedelta(days=x))
    gh = oauth(home, "github", "github", -m(20), m(40), account="alice", scope="repo read:org")
    oauth(home, "google", "google", -m(50), m(10), refresh=False, account="alice@example.com",
          scope="openid email drive.readonly")
    oauth(home, "gcloud", "gcloud", -m(10), m(50), refresh=False, scope="cloud-platform")
    oauth(home, "linear", "linear", -h(3), -h(1), refresh=False, scope="read")
    slack = oauth(home, "slack", "slack", -d(2), h(20), account="T024BE7LD", scope="chat:write")
    key(home, "openai", "openai", -d(30))
    key(home, "anthropic", "anthropic", -d(120))
    key(home, "gitlab-pat", "gitlab", -d(85), expires=d(5), kind="pat")
    for i in range(max(0, n - 8)):
        key(home, f"svc-{i:04d}", f"vendor{i % 17}", -h(1 + i % 48), expires=d(1 + i % 30))
    # slack's grant was revoked at the provider: its lane is paused.
    lane = {
        "kind": "credential_revoked",
        "message": "slack answered invalid_grant: the grant was revoked; log in again",
        "since": ts(-m(7)),
        "retry_at": None,
        "consecutive_failures": 1,
        "paused": True,
        "fingerprint": fingerprint(slack),
    }
    write_private(os.path.join(home, "state", "slack.json"), json.dumps(lane, indent=2))
    lines = [
        audit("github", "github", "refresh_succeeded", "ok", h(2), 312, secret=gh),
        audit("github", "github", "refresh_failed", "failed", h(1) + m(2), 5004, "transient", gh),
        audit("github", "github", "refresh_succeeded", "ok", h(1), 287, secret=gh),
        audit("github", "github", "refresh_succeeded", "ok", m(20), 301, secret=gh),
        audit("slack", "slack", "refresh_failed", "failed", m(7), 198, "credential_revoked", slack),
        audit("slack", "slack", "revocation_detected", "failed", m(7), None, "credential_revoked", slack),
        audit("slack", "slack", "operator_notified", "ok", m(7), secret=slack),
    ]
    write_private(os.path.join(home, "audit.jsonl"), "\n".join(lines) + "\n")
    # The refresh history every credtop process appends to, oldest first.
    history = {}
    for line in lines:
        rec = json.loads(line)
        if rec["event"] not in ("refresh_succeeded", "refresh_failed"):
            continue
        attempt = {"ts": rec["ts"], "ok": rec["outcome"] == "ok",
                   "latency_ms": rec["latency_ms"], "actor": rec["actor"]}
        if "kind" in rec:
            attempt["kind"] = rec["kind"]
        history.setdefault(rec["credential"], []).append(json.dumps(attempt))
    for name, attempts in history.items():
        write_private(os.path.join(home, "history", f"{name}.jsonl"), "\n".join(attempts) + "\n")


if __name__ == "__main__":
    main()
