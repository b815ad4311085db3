// A local OpenID Provider for authd's social-login tests (tests/api/oidc.rs).
//
// Built on `oidc-provider` (the certified implementation). Logins are
// non-interactive: the interaction route logs in the account named by the
// authorization request's `login_hint` (or `?account=` on the interaction
// URL) and consent is implied. `login_hint=deny` makes the provider refuse
// (error=access_denied back to the client).
//
// Usage: node server.mjs [PORT]   (or PORT=…; 0 or unset picks a free port)
// Prints one line `oidc-provider ready <issuer>` once it listens.
// OIDC_PROVIDER_KEY_OUT=FILE: writes the signing key there first (PKCS#1
// PEM, then a line `kid <kid>`), so a test can sign ID tokens the provider
// would never issue (wrong audience, issuer, expiry) with its real key.
//
// Clients:
//   web     confidential (client_secret_basic "web-secret"), code + PKCE
//   native  public (no secret), application_type native, code + PKCE
// Accounts (sub = id):
//   verified    verified@example.test    email_verified true
//   unverified  unverified@example.test  email_verified false
//   other       other@example.test       email_verified true

import http from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const ACCOUNTS = {
  verified: { email: 'verified@example.test', email_verified: true, name: 'Vera Verified' },
  unverified: { email: 'unverified@example.test', email_verified: false, name: 'Una Unverified' },
  other: { email: 'other@example.test', email_verified: true, name: 'Otto Other' },
};

const REDIRECT_URIS = [
  'http://localhost:5173/oauth/callback',
  'http://127.0.0.1:9/oauth/callback',
];

const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const server = http.createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
if (process.env.OIDC_PROVIDER_KEY_OUT) {
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' });
  writeFileSync(process.env.OIDC_PROVIDER_KEY_OUT, `${pem}kid ${jwk.kid}\n`, { mode: 0o600 });
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'web',
      client_secret: 'web-secret',
      redirect_uris: REDIRECT_URIS,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
    {
      client_id: 'native',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/native/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['authd-test-provider-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // The scope's claims go into the ID token too (authd reads them there).
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...account };
      },
    };
  },
  // Consent is implied: every client gets the scopes it asks for.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

// The non-interactive login.
provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith('/interaction/')) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const hint = ctx.query.account ?? details.params.login_hint ?? 'verified';
  let result;
  if (details.prompt.name === 'consent') {
    // Native clients always pass through consent: given at once.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope('openid email profile');
    result = { consent: { grantId: await grant.save() } };
  } else if (hint === 'deny') {
    result = { error: 'access_denied', error_description: 'the user said no' };
  } else if (!ACCOUNTS[hint]) {
    result = { error: 'login_required', error_description: 'unknown test account' };
  } else {
    result = { login: { accountId: hint } };
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: false,
  });
  ctx.status = 303;
  ctx.redirect(to);
});

server.on('request', provider.callback());
process.on('SIGTERM', () => process.exit(0));
console.log(`oidc-provider ready ${issuer}`);
