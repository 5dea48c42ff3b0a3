/**
 * Issue 22 item 5: the sandbox's control routes (`/_sandbox/...`: every outbound body, faults,
 * reset, Slack clicks signed as any seeded user) are open only in development. When the service
 * starts a sandbox anywhere else (SANDBOX_SYSTEMS in a staging set-up, NODE_ENV=test) they need the
 * API token; the emulated APIs themselves keep working for the service.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/load';
import { startSandboxServer } from '../../src/sandbox';
import { sandboxControlAccess } from '../../src/security/sandbox-control';

const API_TOKEN = 'sandbox-control-token-0123456789abcdef0123456789';
const STAGING = {
  NODE_ENV: 'production',
  SANDBOX_SYSTEMS: 'all',
  DIALNEXA_WEBHOOK_SECRET: 'w'.repeat(32),
  SLACK_SIGNING_SECRET: 's'.repeat(32),
  API_TOKEN,
  CODEC_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  DECISION_SIGNING_KEY: 'd'.repeat(40),
  APPROVERS: 'U0FIN0001',
  SECOND_TIER_APPROVERS: 'U0CFO0001',
  SLACK_FINANCE_CHANNEL: 'C0FINANCE',
  LEDGER_DATABASE_URL: 'postgres://ledger.invalid:5432/billing',
};

describe('sandbox control routes: open only in development, else behind the API token', () => {
  it('chooses open in development, the API token outside it', () => {
    assert.equal(sandboxControlAccess(loadConfig({ NODE_ENV: 'development' })), 'open');
    assert.deepEqual(sandboxControlAccess(loadConfig(STAGING)), { token: API_TOKEN });
    assert.deepEqual(sandboxControlAccess(loadConfig({ ...STAGING, NODE_ENV: 'test' })), { token: API_TOKEN });
  });

  it('a staging sandbox refuses records, faults, reset and signed Slack clicks without the token', async () => {
    const sb = await startSandboxServer({ port: 0, control: sandboxControlAccess(loadConfig(STAGING)) });
    try {
      const probes: [string, string, unknown?][] = [
        ['GET', '/_sandbox/records'],
        ['POST', '/_sandbox/reset', {}],
        ['POST', '/_sandbox/faults/all', { errorRate: 1 }],
        ['POST', '/_sandbox/slack/click', { user: 'U0FIN0001', ts: '1', actionId: 'billing_approve' }],
        ['GET', '/_sandbox/slack/state'],
        ['GET', '/_sandbox/zendesk/tickets'],
      ];
      for (const [method, path, body] of probes) {
        for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${Buffer.from(`x:${API_TOKEN}`).toString('base64')}`]) {
          const res = await fetch(`${sb.url}${path}`, {
            method,
            headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
            ...(body ? { body: JSON.stringify(body) } : {}),
          });
          assert.equal(res.status, 401, `${method} ${path} with ${authorization ?? 'no credential'}`);
        }
      }
      const ok = await fetch(`${sb.url}/_sandbox/records`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
      assert.equal(ok.status, 200);
      // The emulated API itself still answers the service (its own sandbox credential).
      const ticket = await fetch(`${sb.url}/zendesk/api/v2/tickets/9001.json`, {
        headers: { authorization: `Basic ${Buffer.from('agent@sandbox.example/token:sandbox-zendesk-token').toString('base64')}` },
      });
      assert.equal(ticket.status, 200);
    } finally {
      await sb.close();
    }
  });

  it('without an API token there is no control plane at all; in development it is open', async () => {
    const off = await startSandboxServer({ port: 0, control: 'off' });
    const dev = await startSandboxServer({ port: 0, control: sandboxControlAccess(loadConfig({ NODE_ENV: 'development' })) });
    try {
      assert.equal((await fetch(`${off.url}/_sandbox/records`)).status, 404);
      assert.equal((await fetch(`${dev.url}/_sandbox/records`)).status, 200);
    } finally {
      await off.close();
      await dev.close();
    }
  });
});
