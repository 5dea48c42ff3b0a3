/**
 * Issue 15 item 1: credentials that refresh. The sandbox's token endpoints behave as Intuit and
 * Google document (checked here with the vendors' own clients, intuit-oauth and
 * google-auth-library), its APIs refuse expired tokens with their own 401, and our connectors keep
 * working across expiries: refresh before expiry, once on a 401, one refresher at a time across
 * processes, the newest (rotated) refresh token kept encrypted across restarts.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OAuthClient from 'intuit-oauth';
import { JWT, UserRefreshClient, gaxios } from 'google-auth-library';
import { loadConfig } from '../../src/config/load';
import { createConnectors } from '../../src/connectors/clients';
import { createKeyring } from '../../src/temporal/codec';
import { TokenStore } from '../../src/connectors/token-store';
import { intuitMinter, RefreshingTokenSource, authorizedFetch } from '../../src/connectors/oauth';
import { QuickBooksClient } from '../../src/connectors/quickbooks';
import { GOOGLE_SCOPES } from '../../src/config/oauth';
import { GOOGLE_TOKEN_AUDIENCE, SANDBOX_INTUIT_APP } from '../../src/sandbox/systems/oauth';
import { REFRESH_TOKEN_EXPIRY_METRIC, refreshTokenExpiryObserver } from '../../src/observability/credential-expiry';
import type { MetricMeter } from '@temporalio/common';
import type { Logger } from '../../src/logger';
import { rejectsWithType, startSandbox, type TestSandbox } from './helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keyring = () => createKeyring([['k1', randomBytes(32)]], 'k1');

describe('OAuth: refreshing credentials against the sandbox token endpoints', function () {
  this.timeout(60_000);
  let sb: TestSandbox;
  let dir: string;
  const connect = async () => ((await sb.control('/intuit-oauth/connect', {})) as { refresh_token: string }).refresh_token;
  const ttl = (seconds: number) => sb.control('/intuit-oauth/settings', { accessTokenTtlSeconds: seconds });
  const stats = async () =>
    (await sb.control('/intuit-oauth/stats')) as {
      intuitRefreshes: number;
      intuitInvalidGrants: number;
      expiredRejected: number;
      googleTokens: number;
    };
  const qboEnv = (refreshToken: string) => ({
    SANDBOX_URL: sb.url,
    LOG_LEVEL: 'silent',
    CREDENTIALS_DIR: dir,
    QBO_API_BASE_URL: `${sb.url}/quickbooks`,
    QBO_CLIENT_ID: SANDBOX_INTUIT_APP.clientId,
    QBO_CLIENT_SECRET: SANDBOX_INTUIT_APP.clientSecret,
    QBO_REFRESH_TOKEN: refreshToken,
    QBO_OAUTH_TOKEN_URL: `${sb.url}/intuit-oauth/oauth2/v1/tokens/bearer`,
  });

  before(async () => {
    sb = await startSandbox();
  });
  after(async () => {
    await sb.close();
  });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oauth-store-'));
    await ttl(3600);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('the sandbox token endpoints, driven by the vendors’ clients', () => {
    it('Intuit (intuit-oauth): each refresh rotates the refresh token and the old one is refused with invalid_grant', async () => {
      const client = new OAuthClient({
        clientId: SANDBOX_INTUIT_APP.clientId,
        clientSecret: SANDBOX_INTUIT_APP.clientSecret,
        environment: 'sandbox',
        redirectUri: 'http://localhost/cb',
      });
      (OAuthClient as unknown as { tokenEndpoint: string }).tokenEndpoint = `${sb.url}/intuit-oauth/oauth2/v1/tokens/bearer`;
      const first = await connect();
      const res = await client.refreshUsingToken(first);
      const token = res.getJson() as {
        access_token: string;
        refresh_token: string;
        expires_in: number;
        x_refresh_token_expires_in: number;
        token_type: string;
      };
      assert.equal(token.token_type, 'bearer');
      assert.equal(token.expires_in, 3600);
      assert.ok(token.x_refresh_token_expires_in > 0);
      assert.notEqual(token.refresh_token, first, 'a new refresh token');
      await assert.rejects(
        client.refreshUsingToken(first),
        (err: Error & { error?: string; authResponse?: { json?: { error?: string } } }) => {
          assert.match(JSON.stringify({ m: err.message, e: err.error, j: err.authResponse?.json }), /invalid_grant/);
          return true;
        },
      );
      // The new token reads QuickBooks; a made-up one is a 401 in QuickBooks' own fault shape.
      const ok = await fetch(`${sb.url}/quickbooks/v3/company/9130350000000001/invoice/1001?minorversion=75`, {
        headers: { authorization: `Bearer ${token.access_token}`, accept: 'application/json' },
      });
      assert.equal(ok.status, 200);
      const bad = await fetch(`${sb.url}/quickbooks/v3/company/9130350000000001/invoice/1001`, {
        headers: { authorization: 'Bearer sbx-intuit-at-made-up', accept: 'application/json' },
      });
      assert.equal(bad.status, 401);
      assert.equal(((await bad.json()) as { fault: { error: { code: string }[] } }).fault.error[0].code, '3200');
    });

    it('Google (google-auth-library): a service account JWT with sub needs domain-wide delegation; a user refresh token works without rotation', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const clientEmail = `bot-${randomBytes(3).toString('hex')}@proj.iam.gserviceaccount.com`;
      await sb.control('/google-oauth/service-accounts', {
        clientEmail,
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }),
        delegatedScopes: GOOGLE_SCOPES.gmail,
      });
      const transporter = new gaxios.Gaxios();
      transporter.interceptors.request.add({
        resolved: async (c) => (String(c.url) === GOOGLE_TOKEN_AUDIENCE ? { ...c, url: new URL(`${sb.url}/google-oauth/token`) } : c),
      });
      const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const jwt = new JWT({ email: clientEmail, key, scopes: GOOGLE_SCOPES.gmail, subject: 'billing@example.com', transporter });
      const creds = await jwt.authorize();
      assert.match(String(creds.access_token), /^sbx-google-at-/);
      const drive = new JWT({ email: clientEmail, key, scopes: GOOGLE_SCOPES.drive, subject: 'billing@example.com', transporter });
      await assert.rejects(drive.authorize(), /unauthorized_client/, 'drive scope was not delegated');
      const forged = new JWT({
        email: clientEmail,
        key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        scopes: GOOGLE_SCOPES.gmail,
        transporter,
      });
      await assert.rejects(forged.authorize(), /invalid_grant/, 'a key Google does not hold');

      const { refresh_token } = (await sb.control('/google-oauth/users', {
        clientId: 'cid',
        clientSecret: 'csecret',
        scopes: GOOGLE_SCOPES.drive,
      })) as { refresh_token: string };
      const user = new UserRefreshClient({
        clientId: 'cid',
        clientSecret: 'csecret',
        refreshToken: refresh_token,
        endpoints: { oauth2TokenUrl: `${sb.url}/google-oauth/token` },
      });
      const { token } = await user.getAccessToken();
      const list = await fetch(`${sb.url}/drive/drive/v3/files/generateIds?count=1`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(list.status, 200);
    });
  });

  describe('our connectors', () => {
    it('QuickBooks keeps answering across several access-token expiries (refresh before expiry and after a 401)', async () => {
      await ttl(1);
      const config = loadConfig(qboEnv(await connect()));
      const { quickbooks } = createConnectors(config.connectors, { keyring: keyring(), timeoutMs: 5000 });
      const before = await stats();
      for (let i = 0; i < 4; i++) {
        assert.equal((await quickbooks.get<{ DocNumber: string }>('Invoice', '1001')).DocNumber, 'INV-1001');
        await sleep(1100);
      }
      const after = await stats();
      assert.ok(after.intuitRefreshes - before.intuitRefreshes >= 4, `refreshed ${after.intuitRefreshes - before.intuitRefreshes} times`);
      assert.equal(after.intuitInvalidGrants, before.intuitInvalidGrants, 'never used a rotated-away refresh token');
    });

    it('refreshes once when the API answers 401 to a token it thought was fresh', async () => {
      const store = new TokenStore(dir, keyring());
      const rt = await connect();
      // A state whose access token the API does not know (revoked, or expired early), with the real refresh token.
      store.write('quickbooks', {
        accessToken: 'sbx-intuit-at-revoked',
        expiresAt: Date.now() + 3_600_000,
        obtainedAt: Date.now(),
        refreshToken: rt,
        seed: 'x',
      });
      const cfg = {
        kind: 'intuit' as const,
        tokenUrl: `${sb.url}/intuit-oauth/oauth2/v1/tokens/bearer`,
        clientId: SANDBOX_INTUIT_APP.clientId,
        clientSecret: SANDBOX_INTUIT_APP.clientSecret,
        refreshToken: rt,
      };
      let minted = 0;
      const mint = intuitMinter(cfg);
      const source = new RefreshingTokenSource('quickbooks', store, 'seed', async (c) => (minted++, mint(c)));
      // Same seed as the stored state: patch it in so the stored (revoked) token is what gets sent first.
      const state = store.read('quickbooks');
      store.write('quickbooks', { ...(state as NonNullable<typeof state>), seed: (source as unknown as { seed: string }).seed });
      const qbo = new QuickBooksClient(loadConfig(qboEnv(rt)).connectors.quickbooks, { fetch: authorizedFetch(source) });
      assert.equal((await qbo.get<{ Id: string }>('Invoice', '1001')).Id, '1001');
      assert.equal(minted, 1, 'one refresh after the 401');
    });

    it("reports when Intuit's refresh token itself expires: a gauge at every refresh, a warning in its last 14 days", async () => {
      const gauges: { name: string; value: number; tags: unknown }[] = [];
      const meter = {
        createGauge: (name: string) => ({ set: (value: number, tags: unknown) => gauges.push({ name, value, tags }) }),
      } as unknown as MetricMeter;
      const warnings: string[] = [];
      const logger = { warn: (_o: unknown, msg: string) => warnings.push(msg) } as unknown as Logger;
      const observe = refreshTokenExpiryObserver({ meter: () => meter, logger });
      const qbo = async () =>
        createConnectors(loadConfig(qboEnv(await connect())).connectors, { keyring: keyring(), onTokenRefreshed: observe }).quickbooks;

      // A fresh connection (Intuit: about 101 days): exported, no warning.
      await (await qbo()).get('Invoice', '1001');
      assert.equal(gauges.length, 1);
      assert.equal(gauges[0].name, REFRESH_TOKEN_EXPIRY_METRIC);
      assert.deepEqual(gauges[0].tags, { system: 'quickbooks' });
      assert.ok(Math.abs(gauges[0].value - (Date.now() / 1000 + 8_726_400)) < 60, 'the epoch second it expires');
      assert.deepEqual(warnings, []);

      // A connection near its end: Intuit counts x_refresh_token_expires_in down.
      fs.rmSync(dir, { recursive: true, force: true });
      await sb.control('/intuit-oauth/settings', { refreshTokenTtlSeconds: Math.round(3.5 * 86_400) });
      try {
        await (await qbo()).get('Invoice', '1001');
      } finally {
        await sb.control('/intuit-oauth/settings', { refreshTokenTtlSeconds: 8_726_400 });
      }
      assert.equal(gauges.length, 2);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /quickbooks refresh token expires in 3 day\(s\): reconnect the app/);
      assert.doesNotMatch(warnings[0], /sbx-intuit-rt-/, 'never the token itself');
    });

    it('a refused refresh is a permanent AuthError naming the fix; a token endpoint outage is retryable', async () => {
      const config = loadConfig(qboEnv('sbx-intuit-rt-never-issued'));
      const { quickbooks } = createConnectors(config.connectors, { keyring: keyring(), timeoutMs: 5000 });
      await rejectsWithType(quickbooks.get('Invoice', '1001'), 'AuthError', (e) => {
        assert.equal(e.nonRetryable, true);
        assert.equal(e.code, 'invalid_grant');
        assert.match(e.message, /reconnect the QuickBooks app/);
      });
      fs.rmSync(dir, { recursive: true, force: true });
      const healthy = createConnectors(loadConfig(qboEnv(await connect())).connectors, { keyring: keyring(), timeoutMs: 5000 });
      await sb.faults('intuit-oauth', { failNext: 1 });
      await rejectsWithType(healthy.quickbooks.get('Invoice', '1001'), 'TransientError', (e) => assert.equal(e.nonRetryable, false));
      assert.equal((await healthy.quickbooks.get<{ Id: string }>('Invoice', '1001')).Id, '1001', 'the next attempt refreshes');
    });

    it('many "processes" refreshing at once never invalidate each other, and a restart uses the newest refresh token, stored encrypted', async () => {
      await ttl(1);
      const seed = await connect();
      const ring = keyring();
      // Separate client sets = separate in-memory caches, sharing only the folder, as worker processes do.
      const workers = Array.from(
        { length: 4 },
        () => createConnectors(loadConfig(qboEnv(seed)).connectors, { keyring: ring, timeoutMs: 5000 }).quickbooks,
      );
      const before = await stats();
      for (let round = 0; round < 3; round++) {
        await Promise.all(workers.flatMap((q) => [q.get('Invoice', '1001'), q.get('Invoice', '1002')]));
        await sleep(1100);
      }
      const after = await stats();
      assert.equal(after.intuitInvalidGrants, before.intuitInvalidGrants, 'no process used a refresh token another had rotated away');
      assert.ok(
        after.intuitRefreshes - before.intuitRefreshes <= 4,
        `one refresh per expiry, not one per process (${after.intuitRefreshes - before.intuitRefreshes})`,
      );

      // The seed itself is dead now (rotated on the first refresh): a restarted process must use the stored one.
      const stored = fs.readFileSync(path.join(dir, 'quickbooks.token'), 'utf8');
      const state = new TokenStore(dir, ring).read('quickbooks');
      assert.ok(state?.refreshToken && state.refreshToken !== seed);
      assert.ok(
        !stored.includes(state.refreshToken) && !stored.includes(state.accessToken) && !stored.includes(seed),
        'the file holds no token in plain text',
      );
      await sleep(1100);
      const restarted = createConnectors(loadConfig(qboEnv(seed)).connectors, { keyring: ring, timeoutMs: 5000 }).quickbooks;
      assert.equal((await restarted.get<{ Id: string }>('Invoice', '1001')).Id, '1001');
      await assert.rejects(
        fetch(`${sb.url}/intuit-oauth/oauth2/v1/tokens/bearer`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${SANDBOX_INTUIT_APP.clientId}:${SANDBOX_INTUIT_APP.clientSecret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: seed }),
        }).then(async (r) => {
          if (r.status === 400) throw new Error(((await r.json()) as { error: string }).error);
        }),
        /invalid_grant/,
        'the seed refresh token is dead: the restart did not depend on it',
      );
      // Another key cannot open the store.
      assert.throws(() => new TokenStore(dir, createKeyring([['k2', randomBytes(32)]], 'k2')).read('quickbooks'), /no longer holds/);
    });

    it('Gmail and Drive refresh through a service account with domain-wide delegation', async () => {
      await ttl(1);
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const clientEmail = `svc-${randomBytes(3).toString('hex')}@proj.iam.gserviceaccount.com`;
      await sb.control('/google-oauth/service-accounts', {
        clientEmail,
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }),
        delegatedScopes: [...GOOGLE_SCOPES.gmail, ...GOOGLE_SCOPES.drive],
      });
      const config = loadConfig({
        SANDBOX_URL: sb.url,
        LOG_LEVEL: 'silent',
        CREDENTIALS_DIR: dir,
        GMAIL_API_BASE_URL: `${sb.url}/gmail`,
        DRIVE_API_BASE_URL: `${sb.url}/drive`,
        GOOGLE_SERVICE_ACCOUNT_KEY: JSON.stringify({
          type: 'service_account',
          client_email: clientEmail,
          private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
        }),
        GOOGLE_OAUTH_TOKEN_URL: `${sb.url}/google-oauth/token`,
      });
      assert.equal(config.connectors.drive.oauth?.kind, 'google-service-account');
      const { drive } = createConnectors(config.connectors, { keyring: keyring(), timeoutMs: 5000 });
      const before = await stats();
      for (let i = 0; i < 3; i++) {
        assert.equal((await drive.generateIds(1)).length, 1);
        await sleep(1100);
      }
      assert.ok((await stats()).googleTokens - before.googleTokens >= 3);
    });
  });
});
