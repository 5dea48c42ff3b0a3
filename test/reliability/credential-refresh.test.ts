/**
 * Issue 15 item 1, end to end: QuickBooks on Intuit OAuth (rotating refresh tokens) and Gmail/Drive
 * on a Google service account with domain-wide delegation, while the sandbox expires every access
 * token after 3 seconds. Two worker processes share the encrypted token store; cases keep arriving
 * across several expiries, and every one completes: no process used a refresh token the other had
 * rotated away, and no token reached the logs.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GOOGLE_SCOPES } from '../../src/config/oauth';
import { ServiceHarness } from '../support/service';
import { temporalAddress } from '../support/temporal';
import { refundCall, runTag, seedRefundInvoices } from './calls';
import { figure, refundWorkflowId, size, waitForCases } from './helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reliability: credentials that expire every 3 s, two worker processes', function () {
  this.timeout(10 * 60_000);
  const env: Record<string, string> = {};
  let svc: ServiceHarness;
  const control = async (p: string, body?: unknown) => {
    const res = await fetch(
      `${svc.sandboxUrl}/_sandbox${p}`,
      body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    );
    assert.ok(res.ok, `${p}: ${res.status}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  let seed = '';

  before(async () => {
    svc = new ServiceHarness({ temporalAddress: temporalAddress(), env });
    await svc.startSandbox();
    const { clientId, clientSecret, refresh_token } = (await control('/intuit-oauth/connect', {})) as {
      clientId: string;
      clientSecret: string;
      refresh_token: string;
    };
    seed = refresh_token;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const clientEmail = `billing-${randomBytes(3).toString('hex')}@proj.iam.gserviceaccount.com`;
    await control('/google-oauth/service-accounts', {
      clientEmail,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }),
      delegatedScopes: [...GOOGLE_SCOPES.gmail, ...GOOGLE_SCOPES.drive],
    });
    const keyFile = path.join(svc.dataDir, 'google-key.json');
    fs.writeFileSync(
      keyFile,
      JSON.stringify({
        type: 'service_account',
        client_email: clientEmail,
        private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      }),
      { mode: 0o600 },
    );
    Object.assign(env, {
      QBO_API_BASE_URL: `${svc.sandboxUrl}/quickbooks`,
      // The card refunds' host (the same Intuit credential): without it the worker would call api.intuit.com.
      QBO_PAYMENTS_API_BASE_URL: `${svc.sandboxUrl}/quickbooks-payments`,
      QBO_CLIENT_ID: clientId,
      QBO_CLIENT_SECRET: clientSecret,
      QBO_REFRESH_TOKEN: refresh_token,
      QBO_OAUTH_TOKEN_URL: `${svc.sandboxUrl}/intuit-oauth/oauth2/v1/tokens/bearer`,
      GMAIL_API_BASE_URL: `${svc.sandboxUrl}/gmail`,
      DRIVE_API_BASE_URL: `${svc.sandboxUrl}/drive`,
      GOOGLE_SERVICE_ACCOUNT_KEY: keyFile,
      GOOGLE_OAUTH_TOKEN_URL: `${svc.sandboxUrl}/google-oauth/token`,
      CREDENTIALS_DIR: path.join(svc.dataDir, 'credentials'),
    });
    await control('/intuit-oauth/settings', { accessTokenTtlSeconds: 3 });
    await Promise.all([svc.startApi(), svc.startWorker(), svc.startWorker()]);
  });
  after(async () => {
    await svc?.stop();
  });

  it('completes every case across several expiries with no refresh token invalidated by the other worker', async () => {
    const client = await svc.client();
    try {
      const waves = size('RELIABILITY_REFRESH_WAVES', 4);
      const perWave = 4;
      const tag = runTag();
      const ids: string[] = [];
      for (let w = 0; w < waves; w++) {
        const wave = Array.from({ length: perWave }, (_, i) => `call_refresh_${tag}_${w}_${i}`);
        const bodies = wave.map((id, i) => refundCall(id, i === 3 ? { accountId: 'UMBRELLA-004', amount: '3.00' } : { amount: '12.00' }));
        await seedRefundInvoices(svc.sandboxUrl, bodies);
        const answers = await Promise.all(bodies.map((body) => svc.postCall(body)));
        assert.deepEqual(
          answers.map((a) => a.status),
          wave.map(() => 202),
        );
        ids.push(...wave);
        await sleep(3500);
      }
      const results = await waitForCases(client, ids, 5 * 60_000);
      const failed = [...results].filter(([, s]) => s.status !== 'completed').map(([id, s]) => `${id}: ${s.status} ${s.reason ?? ''}`);
      assert.deepEqual(failed, [], 'every case completes');

      const stats = (await control('/intuit-oauth/stats')) as {
        intuitRefreshes: number;
        intuitInvalidGrants: number;
        expiredRejected: number;
        googleTokens: number;
        googleRejected: number;
      };
      figure(
        `credential refresh: ${ids.length} cases, ${stats.intuitRefreshes} Intuit refreshes, ${stats.googleTokens} Google tokens, ${stats.expiredRejected} expired tokens refused by the APIs, ${stats.intuitInvalidGrants} invalid_grant`,
      );
      assert.equal(stats.intuitInvalidGrants, 0, 'no worker used a rotated-away refresh token');
      assert.equal(stats.googleRejected, 0);
      assert.ok(stats.intuitRefreshes >= waves - 1, `QuickBooks tokens were refreshed across expiries (${stats.intuitRefreshes})`);
      assert.ok(stats.googleTokens >= 2, `Google tokens were renewed (${stats.googleTokens})`);

      // Both worker processes ran activities, so both went through the shared store.
      const identities = new Set<string>();
      for (const id of ids) {
        const history = await client.workflow.getHandle(refundWorkflowId(id)).fetchHistory();
        for (const e of history.events ?? [])
          if (e.activityTaskStartedEventAttributes?.identity) identities.add(e.activityTaskStartedEventAttributes.identity);
      }
      assert.equal(identities.size, 2, `activities ran on both workers (${[...identities].join(', ')})`);
      // No token in the service's own logs.
      assert.doesNotMatch(svc.logs(), /sbx-(intuit|google)-(at|rt)-/);
      assert.ok(!svc.logs().includes(seed));
    } finally {
      await client.connection.close();
    }
  });
});
