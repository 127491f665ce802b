// The SDK's own MCP client, spawning `credtop mcp connect NAME` over stdio
// as Claude Code or Cursor would. Prints one JSON line with what happened.
//
// Environment:
//   CREDTOP_BIN   the credtop binary (required)
//   CREDTOP_HOME  passed on to credtop
//   NAME          the credential (required)
//   SCRIPT        "calls": read_note until DURATION_MS has passed (default)
//                 "write": one write_note call
//                 "slow":  one slow call of SLOW_MS
//                 "endless": one call of the tool that never answers
//                 "interrupted": one call whose answer stream breaks first
//                 "later": one call of notify_later, then wait for its
//                 messages, which come over the server's GET stream
//   DURATION_MS   for "calls" (default 3000); PAUSE_MS between calls (200)
//   CLIENT_NAME   the name this client gives in initialize
//   EXTRA_ARGS    more arguments for `credtop mcp connect`, space-separated
//   PID_FILE      where to write the bridge's pid once connected
//   BRIDGE_ARGV   a JSON array: another stdio bridge to spawn instead of
//                 credtop (benches/mcp_remote.sh runs mcp-remote this way)
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

const env = process.env;
const argv = env.BRIDGE_ARGV
  ? JSON.parse(env.BRIDGE_ARGV)
  : [env.CREDTOP_BIN, 'mcp', 'connect', env.NAME, ...(env.EXTRA_ARGS ? env.EXTRA_ARGS.split(' ') : [])];
const transport = new StdioClientTransport({
  command: argv[0],
  args: argv.slice(1),
  env: { CREDTOP_HOME: env.CREDTOP_HOME, PATH: env.PATH, ...passThrough() },
  stderr: 'inherit',
});
const client = new Client({ name: env.CLIENT_NAME || 'sdk-test-client', version: '1.0.0' });

function passThrough() {
  const out = {};
  for (const k of ['CREDTOP_MCP_TIMEOUT', 'BROWSER', 'RUST_LOG', 'CREDTOP_HTTP_TIMEOUT', 'HOME', 'MCP_REMOTE_CONFIG_DIR']) {
    if (env[k]) out[k] = env[k];
  }
  return out;
}

const summary = { ok: 0, failed: 0, errors: [], texts: [], notifications: 0 };
client.setNotificationHandler(LoggingMessageNotificationSchema, () => {
  summary.notifications += 1;
});
function failure(e) {
  summary.failed += 1;
  if (summary.errors.length < 20) {
    summary.errors.push({ code: e.code ?? null, message: String(e.message).slice(0, 300), data: e.data ?? null });
  }
}

async function call(name, args, timeout = 120_000) {
  try {
    const r = await client.callTool({ name, arguments: args }, undefined, { timeout });
    if (r.isError) {
      failure({ message: JSON.stringify(r.content) });
    } else {
      summary.ok += 1;
      if (summary.texts.length < 5) summary.texts.push(r.content[0]?.text);
    }
  } catch (e) {
    failure(e);
  }
}

try {
  await client.connect(transport);
  if (env.PID_FILE) {
    const fs = await import('node:fs');
    fs.writeFileSync(env.PID_FILE, String(transport.pid));
  }
  const script = env.SCRIPT || 'calls';
  if (script === 'calls') {
    const until = Date.now() + Number(env.DURATION_MS || 3000);
    let i = 0;
    while (Date.now() < until && i < 100_000) {
      await call('read_note', { id: String(i) });
      i += 1;
      await new Promise((r) => setTimeout(r, Number(env.PAUSE_MS || 200)));
    }
    const tools = await client.listTools();
    summary.tools = tools.tools.map((t) => t.name).sort();
  } else if (script === 'write') {
    await call('write_note', { text: 'hello' });
  } else if (script === 'slow') {
    await call('slow', { ms: Number(env.SLOW_MS || 100) });
  } else if (script === 'interrupted') {
    await call('interrupted', {});
  } else if (script === 'later') {
    await call('notify_later', { count: 3 });
    for (let i = 0; i < 100 && summary.notifications < 3; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
    }
  } else if (script === 'endless') {
    await call('endless', {}, 600_000);
  }
} catch (e) {
  failure(e);
} finally {
  await client.close().catch(() => {});
}
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exit(0);
