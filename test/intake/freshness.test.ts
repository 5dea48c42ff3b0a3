/**
 * Issue 22 item 6: a captured delivery replayed after the namespace's retention would start its
 * case again (the workflow id is the only replay defence). A call that ended longer ago than
 * WEBHOOK_MAX_CALL_AGE is refused with 422 `stale_call` and counted; the window is checked against
 * the retention at start-up (the configured one, and the namespace's actual one).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { ConfigError, loadConfig } from '../../src/config/load';
import { createApp } from '../../src/api';
import { createLogger } from '../../src/logger';
import { signDialNexaBody } from '../../src/intake/signature';
import { assertWindowWithinRetention, callTime } from '../../src/intake/freshness';
import { freshDelivery } from '../../scripts/call-fixture';
import { NAMESPACE, testClient, temporalAddress, uniqueTaskQueue } from '../support/temporal';
import { TEST_DECISION_KEY } from '../support/policy';
import { caseWorkflowId } from '../../src/temporal/workflow-ids';

const SECRET = 'freshness-test-dialnexa-secret-0123456789';
const API_TOKEN = 'freshness-test-token-0123456789abcdef0123456789';
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'calls', 'refund_request.json');
const DAY = 86_400_000;

describe('webhook freshness: a call that ended longer ago than WEBHOOK_MAX_CALL_AGE is refused', function () {
  this.timeout(60_000);
  let client: Client;
  let server: Server;
  let baseUrl: string;

  before(async () => {
    client = await testClient();
    const config = loadConfig({
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('fresh'),
      LOG_LEVEL: 'silent',
    });
    assert.equal(config.dialnexa.maxCallAgeMs, 7 * DAY, 'default 7 days');
    server = createApp({
      config,
      client,
      logger: createLogger({ level: 'silent' }),
      secrets: { dialnexaWebhookSecret: SECRET, slackSigningSecret: 'x'.repeat(32), apiToken: API_TOKEN, decisionKey: TEST_DECISION_KEY },
    }).listen(0);
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.close();
    await client?.connection.close();
  });

  const post = async (endedDaysAgo: number) => {
    const body = freshDelivery(
      JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { payload: { call: Record<string, unknown> } },
      new Date(Date.now() - endedDaysAgo * DAY),
    );
    const callId = `call_fresh${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    body.payload.call.id = callId;
    const raw = JSON.stringify(body);
    const res = await fetch(`${baseUrl}/webhooks/dialnexa`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dialnexa-signature': signDialNexaBody(raw, SECRET) },
      body: raw,
    });
    return { res, json: (await res.json()) as { error?: string; message?: string; cases?: { workflowId: string }[] }, callId };
  };

  it('refuses a correctly signed delivery of a call that ended 8 days ago: 422 stale_call, nothing started, counted', async () => {
    const { res, json, callId } = await post(8);
    assert.equal(res.status, 422, JSON.stringify(json));
    assert.equal(json.error, 'stale_call');
    assert.match(json.message ?? '', /ended 8 days ago.*7 days/);
    await assert.rejects(
      client.workflow.getHandle(caseWorkflowId(callId, 'refund_request')).describe(),
      /not found/i,
      'no case was started',
    );
    const metrics = await (await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })).text();
    assert.match(metrics, /^billing_webhook_stale_calls_total 1$/m);
  });

  it('accepts a call that ended 6 days ago (a late retry inside the window)', async () => {
    const { res, json } = await post(6);
    assert.equal(res.status, 202, JSON.stringify(json));
  });

  it('start-up refuses a window not shorter than the retention, configured or actual', async () => {
    assert.throws(
      () => loadConfig({ WEBHOOK_MAX_CALL_AGE: '30d', TEMPORAL_RETENTION_DAYS: '30' }),
      (e: Error) => e instanceof ConfigError && /WEBHOOK_MAX_CALL_AGE: 30d is not shorter than the namespace retention/.test(e.message),
    );
    assert.equal(loadConfig({ WEBHOOK_MAX_CALL_AGE: '29d', TEMPORAL_RETENTION_DAYS: '30' }).dialnexa.maxCallAgeMs, 29 * DAY);
    // The test server's namespace keeps history 1 day: 7 days is refused, 12 hours is fine.
    const warnings: string[] = [];
    await assert.rejects(
      assertWindowWithinRetention(client, NAMESPACE, 7 * DAY, (m) => warnings.push(m)),
      /WEBHOOK_MAX_CALL_AGE \(7 days\) is not shorter than namespace .* retention \(1 days\)/,
    );
    await assertWindowWithinRetention(client, NAMESPACE, DAY / 2, (m) => warnings.push(m));
    assert.deepEqual(warnings, []);
  });

  it('measures from ended_at, else the start; a call with no time is not judged', () => {
    assert.equal(callTime({ ended_at: '2026-11-26T14:06:11Z', initiated_at: '2026-11-26T14:02:11Z' }), Date.parse('2026-11-26T14:06:11Z'));
    assert.equal(callTime({ initiated_at: '2026-11-26T14:02:11Z' }), Date.parse('2026-11-26T14:02:11Z'));
    assert.equal(callTime({}), undefined);
  });
});
