#!/usr/bin/env python3
"""The person at the browser, for credtop's tests: used as $BROWSER.

Called with one argument, a URL on the test authorization server
(tests/authserver/server.mjs): an authorization request, or the device
flow's verification_uri_complete. It follows redirects and fills the dev
login, consent and device-confirmation forms by plain HTTP, like a person
clicking through. An authorization flow ends at a redirect to the client's
loopback callback, which it then fetches (handing the code to credtop); a
device flow ends on the server's own success (or aborted) page.

Runs in the foreground; credtop does not wait for it. Standard library only.
Bounded: 30 s in all, 25 hops. Never prints a token.

Environment:
  BROWSER_ACTION=approve|deny   deny: abort at the first page (access_denied)
  BROWSER_LOG=PATH              append one line per URL visited
  BROWSER_TAMPER_STATE=1        change `state` in the callback URL
  BROWSER_CALLBACK_TWICE=1      fetch the callback again afterwards and log
                                "replay refused" or "replay accepted"
"""
import html.parser
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import http.cookiejar

DEADLINE = time.monotonic() + 30
MAX_HOPS = 25
ACTION = os.environ.get("BROWSER_ACTION", "approve")


def log(line):
    path = os.environ.get("BROWSER_LOG")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Forms(html.parser.HTMLParser):
    """Collects forms (action, inputs) and links of one page."""

    def __init__(self):
        super().__init__()
        self.forms, self.links, self._form = [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"id": a.get("id"), "action": a.get("action", ""), "inputs": {}}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form["inputs"][a["name"]] = a.get("value") or ""
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def fail(msg):
    print(f"browser.py: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        fail("usage: browser.py URL")
    start = sys.argv[1]
    origin = urllib.parse.urlsplit(start)[:2]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(jar))
    url, data = start, None
    for _ in range(MAX_HOPS):
        if time.monotonic() > DEADLINE:
            fail("out of time")
        if urllib.parse.urlsplit(url)[:2] != origin:
            return callback(url)
        log(("POST " if data else "GET ") + url)
        try:
            resp = opener.open(urllib.request.Request(url, data=data), timeout=10)
            status, headers, body = resp.status, resp.headers, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read().decode("utf-8", "replace")
        if status in (301, 302, 303, 307, 308):
            url, data = urllib.parse.urljoin(url, headers["Location"]), None
            continue
        if status != 200:
            fail(f"HTTP {status} at {url}")
        if "Sign-in Success" in body or "Sign-in request was interrupted" in body or "aborted" in body.lower():
            log("done: " + ("aborted" if ACTION == "deny" else "success"))
            return
        url, data = next_step(url, body)
    fail("too many hops")


def next_step(url, body):
    """The next request a person would make on this page."""
    page = Forms()
    page.feed(body)
    if not page.forms:
        fail(f"no form on {url}")
    form = page.forms[0]
    inputs = dict(form["inputs"])
    if ACTION == "deny":
        abort = next((l for l in page.links if "/abort" in l), None)
        if abort:
            return urllib.parse.urljoin(url, abort), None
        if "confirm" in inputs:  # device confirmation: the [ Abort ] button
            inputs.pop("confirm")
            inputs["abort"] = "yes"
    if "login" in inputs or inputs.get("prompt") == "login":
        inputs.update(login="alice", password="any-password")
    action = urllib.parse.urljoin(url, form["action"] or url)
    return action, urllib.parse.urlencode(inputs).encode()


def callback(url):
    parts = urllib.parse.urlsplit(url)
    if os.environ.get("BROWSER_TAMPER_STATE") == "1":
        q = urllib.parse.parse_qs(parts.query)
        q["state"] = ["tampered-" + q.get("state", [""])[0][:4]]
        url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q, doseq=True)))
    log("CALLBACK " + parts.scheme + "://" + parts.netloc + parts.path)
    with urllib.request.urlopen(url, timeout=10) as resp:
        resp.read()
    if os.environ.get("BROWSER_CALLBACK_TWICE") == "1":
        try:
            urllib.request.urlopen(url, timeout=5).read()
            log("replay accepted")
        except (urllib.error.URLError, ConnectionError, OSError):
            log("replay refused")


if __name__ == "__main__":
    try:
        main()
    except urllib.error.HTTPError as e:
        # The callback answering 400 (state mismatch, access denied) is the
        # client's business, not a browser failure.
        log(f"callback answered HTTP {e.code}")
    except Exception as e:  # noqa: BLE001 - report, never a traceback with URLs
        fail(type(e).__name__ + ": " + str(e)[:200])
