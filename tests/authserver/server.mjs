// panva's oidc-provider configured as credtop's test authorization server.
// Loopback only. Prints {"issuer": "..."} on stdout once listening; exits
// when stdin closes (so a dying test harness never leaves it behind) or on
// SIGTERM. Logs and warnings go to stderr.
//
// Environment:
//   PORT            port on 127.0.0.1 (default 0: a free one)
//   ACCESS_TTL      access token lifetime in seconds (default 20)
//   SLOW_DOWN_ONCE  "1": answer the first token request with slow_down
//                   (RFC 8628 §3.5), which this server never sends itself
//   TOKEN_EXCHANGE  "1": offer RFC 8693 token exchange to credtop-test (see
//                   the token-exchange block below); off, the server has no
//                   such grant, as most real ones
//   MCP_MODE        "1": the authorization server of a remote MCP server
//                   (issue 11, the block below): resource indicators with
//                   audience-bound JWT access tokens, dynamic registration
//                   and DPoP. MCP_REGISTRATION = "open" (default), "off" (no
//                   registration endpoint) or "refuse" (needs an initial
//                   access token the client does not have). MCP_DPOP=off
//                   turns DPoP off (benchmarks against clients without it).
//   REFRESH_CAP     seconds (issue 14, the grant-cap block below): every
//                   grant ends that long after its login, successors of a
//                   rotated refresh token included, and each token response
//                   says so in `refresh_token_expires_in`, as GitHub Apps do
import http from 'node:http';
import Provider, { errors } from 'oidc-provider';

// stdout carries exactly one line, the issuer; everything the library says
// goes to stderr (a harness that stopped reading stdout must not kill us).
console.log = console.info = console.debug = (...args) => console.error(...args);
process.stdout.on('error', () => {});

const accessTtl = Number(process.env.ACCESS_TTL || 20);
const slowDownOnce = process.env.SLOW_DOWN_ONCE === '1';
// Token exchange (issue 12): the grant type name, set only when enabled.
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const tokenExchangeGrants = process.env.TOKEN_EXCHANGE === '1' ? [TOKEN_EXCHANGE] : [];

// ---- REFRESH_CAP (issue 14): begin -----------------------------------------
// A grant with a hard end. oidc-provider 9.x gives every refresh token the
// TTL `ttl.RefreshToken` returns; a rotated one inherits what is left of
// the one it replaces (its default does that for public web clients), so
// the grant ends at login + REFRESH_CAP whatever the refreshes. The token
// endpoint's answer then states the issued refresh token's remaining life
// (a post-middleware edits the body oidc-provider built, before Koa sends it).
const refreshCap = Number(process.env.REFRESH_CAP || 0);
const refreshTokenTtl = refreshCap
  ? (ctx) => ctx?.oidc?.entities.RotatedRefreshToken?.remainingTTL ?? refreshCap
  : 86400;
const statesRefreshCap = (provider) => {
  provider.use(async (ctx, next) => {
    await next();
    const issued = ctx.oidc?.entities?.RefreshToken;
    if (ctx.method === 'POST' && ctx.path === '/token' && ctx.body?.refresh_token && issued) {
      ctx.body.refresh_token_expires_in = issued.remainingTTL;
    }
  });
};
// ---- REFRESH_CAP (issue 14): end -------------------------------------------

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT || 0), '127.0.0.1', resolve));
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

// ---- MCP_MODE (issue 11): begin ------------------------------------------
// An MCP server's authorization server as the MCP authorization spec wants
// one: RFC 8707 resource indicators (the access token is a JWT whose `aud`
// is the MCP server's URL, so the resource server can check it offline),
// RFC 7591 registration of native public clients, and RFC 9449 DPoP.
const mcpMode = process.env.MCP_MODE === '1';
const mcpRegistration = process.env.MCP_REGISTRATION || 'open';
const mcpScopes = 'mcp:read mcp:write';
const mcpFeatures = mcpMode
  ? {
      resourceIndicators: {
        enabled: true,
        // Only loopback MCP servers exist in the tests; any of them is a
        // resource server with the two MCP scopes.
        defaultResource: async (ctx, client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resource) => {
          if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(resource)) {
            throw new errors.InvalidTarget();
          }
          return {
            scope: mcpScopes,
            audience: resource,
            accessTokenTTL: accessTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
      registration: {
        enabled: mcpRegistration !== 'off',
        initialAccessToken: mcpRegistration === 'refuse' ? 'not-given-to-clients' : false,
      },
      // DPOP_NONCE=1: every DPoP proof must carry a server nonce (§8).
      dPoP: {
        enabled: process.env.MCP_DPOP !== 'off',
        nonceSecret: Buffer.alloc(32, 7),
        requireNonce: () => process.env.DPOP_NONCE === '1',
      },
    }
  : {};
// ---- MCP_MODE (issue 11): end --------------------------------------------

const provider = new Provider(issuer, {
  clients: [
    {
      // A public native client: PKCE, loopback redirect on any port
      // (RFC 8252 §7.3), no secret.
      client_id: 'credtop-test',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', ...tokenExchangeGrants],
      response_types: ['code'],
    },
    {
      // What the tests use to ask the server whether a token is alive.
      client_id: 'introspector',
      client_secret: 'introspector-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [],
      grant_types: [],
      response_types: [],
    },
  ],
  // MCP_MODE: the resource server's scopes are also the server's, as
  // registration (RFC 7591 `scope`) checks them against this list.
  scopes: ['openid', 'offline_access', 'profile', ...(mcpMode ? mcpScopes.split(' ') : [])],
  pkce: { required: () => true },
  // Every refresh rotates; replaying a consumed refresh token revokes the
  // whole grant (oidc-provider's reuse detection).
  rotateRefreshToken: true,
  issueRefreshToken: async () => true,
  ttl: {
    AccessToken: accessTtl,
    AuthorizationCode: 60,
    DeviceCode: 300,
    Grant: 86400,
    IdToken: 3600,
    Interaction: 3600,
    RefreshToken: refreshTokenTtl,
    Session: 86400,
  },
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    ...mcpFeatures,
  },
});
provider.proxy = false;
if (refreshCap) statesRefreshCap(provider);

if (slowDownOnce) {
  let sent = false;
  provider.use(async (ctx, next) => {
    if (!sent && ctx.method === 'POST' && ctx.path === '/token') {
      sent = true;
      ctx.status = 400;
      ctx.body = { error: 'slow_down', error_description: 'poll less often' };
      return;
    }
    await next();
  });
}

// ---- token exchange (RFC 8693), only with TOKEN_EXCHANGE=1 ---------------
// A client trades one of its own active access tokens (the subject) for a
// child access token with a subset of its scopes and an audience. The child
// belongs to no grant, so revoking it (RFC 7009) leaves the parent and its
// refresh token alive, while a dead parent grant still cannot mint one.
// Registering the grant also lists it in grant_types_supported (discovery).
if (tokenExchangeGrants.length) {
  const { errors } = await import('oidc-provider');
  const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
  const words = (s) => (s || '').split(' ').filter(Boolean);
  provider.registerGrantType(TOKEN_EXCHANGE, async (ctx) => {
    const { client, params } = ctx.oidc;
    if (!params.subject_token) throw new errors.InvalidRequest('missing required parameter subject_token');
    // RFC 8693 §2.1: only access tokens are accepted as subjects here.
    if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
    if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
    const subject = await provider.AccessToken.find(params.subject_token);
    if (!subject || !subject.isValid || subject.clientId !== client.clientId) {
      throw new errors.InvalidGrant('subject_token is not an active access token of this client');
    }
    if (subject.grantId && !(await provider.Grant.find(subject.grantId))) {
      throw new errors.InvalidGrant('the grant of subject_token was revoked');
    }
    const held = new Set(words(subject.scope));
    const asked = params.scope ? words(params.scope) : [...held];
    const extra = asked.filter((s) => !held.has(s));
    if (extra.length) {
      throw new errors.InvalidScope(`scope wider than the subject token's: ${extra.join(' ')}`, extra.join(' '));
    }
    const child = new provider.AccessToken({
      client,
      accountId: subject.accountId,
      scope: asked.join(' ') || undefined,
      gty: 'token_exchange',
    });
    if (params.audience) child.aud = params.audience;
    // RFC 8693 §4.1: the client acts on behalf of the subject.
    child.extra = { act: { sub: client.clientId } };
    const value = await child.save();
    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: child.tokenType,
      expires_in: child.expiration,
      scope: child.scope,
    };
  }, ['subject_token', 'subject_token_type', 'requested_token_type', 'scope', 'audience']);
}
// ---- end of token exchange ------------------------------------------------

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);

const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
