#!/usr/bin/env python3
"""Writes a home that keeps an engine busy: N OAuth credentials with
refresh tokens, one hour lifetimes, expiring evenly over the next hour,
and no providers.toml, so that every one entering its danger zone is an
attempted refresh, a failure, a paused lane and, at expiry, a warning.

Usage: benches/churn_home.py HOME [N]   (N defaults to 200)
"""
import json
import os
import sys
from datetime import datetime, timedelta, timezone


def main():
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit("usage: churn_home.py HOME [N]")
    home = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    os.umask(0o077)
    for sub in ("", "oauth"):
        os.makedirs(os.path.join(home, sub), mode=0o700, exist_ok=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    for i in range(n):
        expires = now + timedelta(seconds=60 + i * 3540 // max(1, n))
        body = {
            "provider": f"vendor{i % 7}",
            "kind": "oauth",
            "access_token": f"churn-access-{i}",
            "refresh_token": f"churn-refresh-{i}",
            "token_type": "Bearer",
            "scope": "read",
            "expires_at": expires.isoformat().replace("+00:00", "Z"),
            "created_at": (expires - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        }
        path = os.path.join(home, "oauth", f"churn-{i:04d}.json")
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(body, f)


if __name__ == "__main__":
    main()
