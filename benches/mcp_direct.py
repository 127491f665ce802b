#!/usr/bin/env python3
"""Direct authenticated tool calls, the baseline of benches/mcp_remote.sh:
one keep-alive HTTP connection, TCP_NODELAY, the bearer token in hand, no
MCP client library; N calls of read_note after WARMUP. Prints
{"mode": "direct", "n", "median_ms", "p99_ms"}. Standard library only.

Usage: mcp_direct.py URL TOKEN [N] [WARMUP]   (the token comes from
`credtop token`; it is never printed)
"""
import http.client
import json
import socket
import sys
import time
import urllib.parse

url, token = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 300
warmup = int(sys.argv[4]) if len(sys.argv) > 4 else 20
target = urllib.parse.urlsplit(url)
conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
conn.connect()
conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
headers = {
    "Authorization": f"Bearer {token}",
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
}


def post(message):
    conn.request("POST", target.path, json.dumps(message), headers)
    response = conn.getresponse()
    body = response.read()
    if response.status >= 300:
        sys.exit(f"HTTP {response.status}")
    return response, body


response, _ = post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {},
    "clientInfo": {"name": "direct", "version": "1"}}})
headers["Mcp-Session-Id"] = response.getheader("Mcp-Session-Id")
headers["MCP-Protocol-Version"] = "2025-06-18"
post({"jsonrpc": "2.0", "method": "notifications/initialized"})
times = []
for i in range(warmup + n):
    t0 = time.perf_counter()
    _, body = post({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
                    "params": {"name": "read_note", "arguments": {"id": str(i)}}})
    if b'"result"' not in body:
        sys.exit("tool call failed")
    if i >= warmup:
        times.append((time.perf_counter() - t0) * 1000)
times.sort()
at = lambda q: times[min(len(times) - 1, int(q * len(times)))]
print(json.dumps({"mode": "direct", "n": n, "median_ms": round(at(0.5), 3),
                  "p99_ms": round(at(0.99), 3)}))
