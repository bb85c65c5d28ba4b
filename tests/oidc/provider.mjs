// A real OpenID Connect provider for headcount's single sign-on tests (tests/oidc.py starts it):
// the `oidc-provider` package with its own log-in form, one confidential client `headcount`,
// and test accounts whose `groups` claim headcount maps to roles.
//
//   node provider.mjs PORT
//
// prints "ready <issuer>" once it listens on 127.0.0.1:PORT. Any password is accepted (the
// package's development log-in form): what is tested is headcount's side of the protocol.
import Provider, { interactionPolicy } from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNTS = {
  alice: { name: 'Alice Admin', email: 'alice@example.com', groups: ['idm-admins', 'staff'] },
  bob: { name: 'Bob Reviewer', email: 'bob@example.com', groups: ['staff', 'auditors'] },
  carol: { name: 'Carol Contractor', email: 'carol@example.com', groups: ['contractors'] },
  'josé': { name: 'José Schneider', email: 'jose@example.com', groups: ['auditors'] },
};

// Consent is the provider's business, not headcount's: granted at once (loadExistingGrant),
// also for a loopback ("native") client, which the package otherwise always asks about.
const policy = interactionPolicy.base();
policy.get('consent').checks.remove('native_client_prompt');

const provider = new Provider(issuer, {
  interactions: { policy },
  clients: [{
    client_id: 'headcount',
    client_secret: 'headcount-test-secret',
    // A loopback client: any port of 127.0.0.1 is the same redirect (RFC 8252 §7.3), so one
    // provider serves every test's headcount on its own free port.
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/sso/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1/sso/logged-out'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  // Claims of the scopes in the ID token itself, as most providers send groups.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ['headcount-test-cookie-key'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, ...account };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email groups');
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
