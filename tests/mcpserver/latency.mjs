// Latency of one tool call through `credtop mcp connect NAME`, for
// benches/mcp_remote.sh (benches/mcp_direct.py is the direct baseline): N
// calls of read_note after WARMUP calls, by the SDK's client over stdio.
// Prints {"mode": "bridge", "n", "median_ms", "p99_ms"}.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const env = process.env;
const n = Number(env.N || 300);
const warmup = Number(env.WARMUP || 20);
const transport = new StdioClientTransport({
  command: env.CREDTOP_BIN,
  args: ['mcp', 'connect', env.NAME],
  env: { CREDTOP_HOME: env.CREDTOP_HOME, PATH: env.PATH },
  stderr: 'inherit',
});
const client = new Client({ name: 'latency-bridge', version: '1.0.0' });
await client.connect(transport);
const times = [];
for (let i = 0; i < warmup + n; i += 1) {
  const t0 = performance.now();
  const r = await client.callTool({ name: 'read_note', arguments: { id: String(i) } });
  if (r.isError) throw new Error('tool call failed');
  if (i >= warmup) times.push(performance.now() - t0);
}
await client.close();
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
const round = (x) => Math.round(x * 1000) / 1000;
process.stdout.write(
  `${JSON.stringify({ mode: 'bridge', n, median_ms: round(at(0.5)), p99_ms: round(at(0.99)) })}\n`,
);
process.exit(0);
