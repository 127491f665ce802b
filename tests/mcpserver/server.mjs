// A remote MCP server built with the official SDK, protected by credtop's
// test authorization server (tests/authserver with MCP_MODE=1). Loopback
// only. Prints {"url": "http://127.0.0.1:PORT/mcp"} on stdout once
// listening; exits when stdin closes or on SIGTERM.
//
// What it checks on every request (what a careful resource server does):
//   - the access token is a JWT signed by the issuer (its JWKS), `aud` is
//     this server's URL (RFC 8707 / RFC 9068), not expired;
//   - the scopes: every tool needs mcp:read, `write_note` needs mcp:write
//     (else 403 insufficient_scope with the scope in WWW-Authenticate,
//     RFC 6750 §3.1);
//   - a DPoP-bound token (cnf.jkt) comes with `Authorization: DPoP` and a
//     valid proof (RFC 9449 §4.3, §7: htm, htu, iat, jti, ath, the key's
//     thumbprint); with DPOP_NONCE=1 the proof must carry our nonce (§9).
//
// Environment:
//   ISSUER      the authorization server (required)
//   PRM_MODE    "ok" (default); faults for the login's bad-input tests:
//               "missing" (no metadata, no resource_metadata in the 401),
//               "malformed" (not JSON), "mismatch" (another resource)
//   DPOP_NONCE  "1": challenge proofs without our nonce with use_dpop_nonce
//
// GET /stats (no auth) tells the tests what the server saw.
import crypto from 'node:crypto';
import express from 'express';
import * as jose from 'jose';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import {
  mcpAuthMetadataRouter,
  getOAuthProtectedResourceMetadataUrl,
} from '@modelcontextprotocol/sdk/server/auth/router.js';

console.log = console.info = console.debug = (...args) => console.error(...args);
process.stdout.on('error', () => {});

const issuer = process.env.ISSUER;
if (!issuer) throw new Error('ISSUER is required');
const prmMode = process.env.PRM_MODE || 'ok';
const requireNonce = process.env.DPOP_NONCE === '1';

const asMeta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const jwks = jose.createRemoteJWKSet(new URL(asMeta.jwks_uri));

const app = express();
const listener = await new Promise((resolve) => {
  const s = app.listen(0, '127.0.0.1', () => resolve(s));
});
const { port } = listener.address();
const origin = `http://127.0.0.1:${port}`;
const resource = `${origin}/mcp`;
const prmUrl = getOAuthProtectedResourceMetadataUrl(new URL(resource));

const stats = {
  requests: 0,
  toolCalls: 0,
  unauthorized: 0,
  insufficientScope: 0,
  dpopProofsVerified: 0,
  dpopNonceChallenges: 0,
  tokenTypes: {},
  sessionsDeleted: 0,
};
app.get('/stats', (req, res) => res.json(stats));

if (prmMode === 'ok') {
  app.use(
    mcpAuthMetadataRouter({
      oauthMetadata: asMeta,
      resourceServerUrl: new URL(resource),
      scopesSupported: ['mcp:read', 'mcp:write'],
      resourceName: 'credtop test MCP server',
    }),
  );
} else if (prmMode === 'malformed') {
  app.get('/.well-known/oauth-protected-resource/mcp', (req, res) =>
    res.type('application/json').send('{"resource": '),
  );
} else if (prmMode === 'mismatch') {
  app.get('/.well-known/oauth-protected-resource/mcp', (req, res) =>
    res.json({ resource: 'http://127.0.0.1:1/elsewhere', authorization_servers: [issuer] }),
  );
}

// DPoP nonces (RFC 9449 §9): one current value, rotated every minute.
let nonce = crypto.randomBytes(16).toString('base64url');
setInterval(() => (nonce = crypto.randomBytes(16).toString('base64url')), 60_000).unref();
const seenJti = new Map();

function challenge(res, status, scheme, error, description, extra = {}) {
  const parts = [`${scheme} error="${error}"`, `error_description="${description}"`];
  if (extra.scope) parts.push(`scope="${extra.scope}"`);
  if (prmMode !== 'missing') parts.push(`resource_metadata="${prmUrl}"`);
  if (scheme === 'DPoP') parts.push('algs="ES256"');
  res.set('WWW-Authenticate', parts.join(', '));
  if (extra.nonce) res.set('DPoP-Nonce', extra.nonce);
  res.status(status).json({ error, error_description: description });
}

async function verifyDpop(req, token, jkt) {
  const proof = req.get('DPoP');
  if (!proof) throw new Error('no DPoP proof');
  const header = jose.decodeProtectedHeader(proof);
  if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256' || !header.jwk) {
    throw new Error('bad proof header');
  }
  const key = await jose.importJWK(header.jwk, 'ES256');
  const { payload } = await jose.jwtVerify(proof, key, { typ: 'dpop+jwt', maxTokenAge: '60s' });
  if ((await jose.calculateJwkThumbprint(header.jwk)) !== jkt) throw new Error('key mismatch');
  const htu = `${origin}${req.originalUrl.split('?')[0]}`;
  if (payload.htm !== req.method || payload.htu !== htu) throw new Error('htm/htu mismatch');
  const ath = crypto.createHash('sha256').update(token).digest('base64url');
  if (payload.ath !== ath) throw new Error('ath mismatch');
  if (!payload.jti || seenJti.has(payload.jti)) throw new Error('jti replayed');
  seenJti.set(payload.jti, Date.now());
  if (seenJti.size > 10_000) seenJti.delete(seenJti.keys().next().value);
  return payload.nonce;
}

// What a request needs: every tool needs mcp:read; write_note needs mcp:write.
function neededScope(body) {
  const messages = Array.isArray(body) ? body : [body];
  const writes = messages.some(
    (m) => m && m.method === 'tools/call' && m.params && m.params.name === 'write_note',
  );
  return writes ? ['mcp:read', 'mcp:write'] : ['mcp:read'];
}

async function authenticate(req, res, next) {
  stats.requests += 1;
  const [scheme, token] = (req.get('Authorization') || '').split(' ');
  const kind = (scheme || '').toLowerCase();
  if (!token || (kind !== 'bearer' && kind !== 'dpop')) {
    stats.unauthorized += 1;
    return challenge(res, 401, 'Bearer', 'invalid_token', 'no access token', { scope: 'mcp:read' });
  }
  let claims;
  try {
    ({ payload: claims } = await jose.jwtVerify(token, jwks, { issuer, audience: resource }));
  } catch (e) {
    stats.unauthorized += 1;
    return challenge(res, 401, kind === 'dpop' ? 'DPoP' : 'Bearer', 'invalid_token', 'token not valid here');
  }
  const jkt = claims.cnf && claims.cnf.jkt;
  if (jkt) {
    if (kind !== 'dpop') {
      stats.unauthorized += 1;
      return challenge(res, 401, 'DPoP', 'invalid_token', 'a DPoP-bound token needs a DPoP proof');
    }
    let proofNonce;
    try {
      proofNonce = await verifyDpop(req, token, jkt);
    } catch (e) {
      stats.unauthorized += 1;
      return challenge(res, 401, 'DPoP', 'invalid_dpop_proof', String(e.message));
    }
    if (requireNonce && proofNonce !== nonce) {
      stats.dpopNonceChallenges += 1;
      return challenge(res, 401, 'DPoP', 'use_dpop_nonce', 'use the DPoP-Nonce', { nonce });
    }
    stats.dpopProofsVerified += 1;
  }
  stats.tokenTypes[jkt ? 'DPoP' : 'Bearer'] = (stats.tokenTypes[jkt ? 'DPoP' : 'Bearer'] || 0) + 1;
  const granted = String(claims.scope || '').split(' ');
  const needed = neededScope(req.body);
  if (!needed.every((s) => granted.includes(s))) {
    stats.insufficientScope += 1;
    return challenge(res, 403, jkt ? 'DPoP' : 'Bearer', 'insufficient_scope', 'needs more scope', {
      scope: needed.join(' '),
    });
  }
  if (requireNonce) res.set('DPoP-Nonce', nonce);
  next();
}

function newServer() {
  const server = new McpServer(
    { name: 'credtop-test-mcp', version: '1.0.0' },
    { capabilities: { logging: {} } },
  );
  server.registerTool(
    'read_note',
    { description: 'Read a note', inputSchema: { id: z.string() } },
    async ({ id }) => {
      stats.toolCalls += 1;
      return { content: [{ type: 'text', text: `note ${id}` }] };
    },
  );
  server.registerTool(
    'write_note',
    { description: 'Write a note (needs mcp:write)', inputSchema: { text: z.string() } },
    async ({ text }) => {
      stats.toolCalls += 1;
      return { content: [{ type: 'text', text: `wrote ${text.length} chars` }] };
    },
  );
  server.registerTool(
    'slow',
    { description: 'Answers after ms milliseconds', inputSchema: { ms: z.number() } },
    async ({ ms }) => {
      await new Promise((r) => setTimeout(r, ms));
      stats.toolCalls += 1;
      return { content: [{ type: 'text', text: `slept ${ms}` }] };
    },
  );
  server.registerTool(
    'notify_later',
    {
      description: 'Answers now; sends count log messages a moment later, outside any request (over the GET stream)',
      inputSchema: { count: z.number() },
    },
    async ({ count }) => {
      setTimeout(async () => {
        for (let i = 0; i < count; i += 1) {
          await server.server.sendLoggingMessage({ level: 'info', data: `later ${i}` }).catch(() => {});
        }
      }, 300);
      return { content: [{ type: 'text', text: 'later' }] };
    },
  );
  server.registerTool(
    'interrupted',
    {
      description: 'Closes its answer stream early and answers on the resumed one (Last-Event-ID)',
      inputSchema: {},
    },
    async (args, extra) => {
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level: 'info', data: 'before the break' },
      });
      extra.closeSSEStream?.();
      await new Promise((r) => setTimeout(r, 500));
      stats.toolCalls += 1;
      return { content: [{ type: 'text', text: 'resumed' }] };
    },
  );
  server.registerTool(
    'endless',
    { description: 'Streams log messages and never answers', inputSchema: {} },
    async (args, extra) => {
      for (let i = 0; i < 100_000 && !extra.signal.aborted; i += 1) {
        await extra.sendNotification({
          method: 'notifications/message',
          params: { level: 'info', data: `tick ${i}` },
        });
        await new Promise((r) => setTimeout(r, 100));
      }
      return { content: [] };
    },
  );
  return server;
}

const transports = new Map();
app.use('/mcp', express.json({ limit: '1mb' }), authenticate);
app.all('/mcp', async (req, res) => {
  const sid = req.get('Mcp-Session-Id');
  let transport = sid && transports.get(sid);
  if (!transport) {
    if (sid || req.method !== 'POST') {
      return res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'no such session' }, id: null });
    }
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      // Event ids on every SSE event, so a broken stream can be resumed.
      eventStore: new InMemoryEventStore(),
      retryInterval: 100,
      onsessioninitialized: (id) => transports.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) transports.delete(transport.sessionId);
    };
    await newServer().connect(transport);
  }
  if (req.method === 'DELETE') stats.sessionsDeleted += 1;
  await transport.handleRequest(req, res, req.body);
});

process.stdout.write(`${JSON.stringify({ url: resource })}\n`);

const stop = () => {
  listener.close(() => process.exit(0));
  listener.closeAllConnections();
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
