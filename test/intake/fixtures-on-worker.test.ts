/**
 * The intake's output is the workflows' input: every case-type fixture, posted through the webhook,
 * starts a workflow that a real worker (with the in-memory fake activities) runs without a
 * workflow task failure. Guards the CaseInput contract between intake and the case workflows.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createApp } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { CASE_TYPES } from '../../src/domain/case';
import { signDialNexaBody } from '../../src/intake/signature';
import { caseEnv, caseInput, result, waitForRequest, type CaseEnv } from '../workflows/helpers';
import { temporalAddress, terminateIfRunning } from '../support/temporal';
import { TEST_DECISION_KEY } from '../support/policy';
import { freshDelivery } from '../../scripts/call-fixture';

const SECRET = 'intake-worker-test-secret-0123456789';
const FIXTURES = path.join(__dirname, '../fixtures/calls');

describe('intake -> case workflows on a worker', function () {
  this.timeout(90_000);
  let env: CaseEnv;
  let client: Client;
  let server: Server;
  let baseUrl: string;

  before(async () => {
    env = await caseEnv();
    client = env.client;
    const config = loadConfig({ TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_TASK_QUEUE: env.taskQueue, LOG_LEVEL: 'silent' });
    const app = createApp({
      config,
      client,
      logger: createLogger({ level: 'silent' }),
      secrets: { decisionKey: TEST_DECISION_KEY, dialnexaWebhookSecret: SECRET, slackSigningSecret: 'intake-worker-test-slack' },
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((r) => server?.close(r));
    await env?.stop();
  });

  it('every case-type fixture starts a workflow that runs its first steps without a workflow task failure', async () => {
    const started: string[] = [];
    for (const caseType of CASE_TYPES) {
      const body = freshDelivery(JSON.parse(fs.readFileSync(path.join(FIXTURES, `${caseType}.json`), 'utf8')));
      body.payload.call.id = `call_w${randomBytes(6).toString('hex')}`;
      const raw = JSON.stringify(body);
      const res = await fetch(`${baseUrl}/webhooks/dialnexa`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-dialnexa-signature': signDialNexaBody(raw, SECRET) },
        body: raw,
      });
      const json = (await res.json()) as { cases: { caseType: string; workflowId: string }[] };
      assert.equal(res.status, 202, JSON.stringify(json));
      assert.deepEqual(
        json.cases.map((c) => c.caseType),
        [caseType],
      );
      started.push(json.cases[0].workflowId);
    }
    const problems: string[] = [];
    for (const workflowId of started) {
      const handle = client.workflow.getHandle(workflowId);
      const deadline = Date.now() + 15_000;
      let progressed = false;
      while (!progressed && Date.now() < deadline) {
        const events = (await handle.fetchHistory()).events ?? [];
        if (events.some((e) => e.workflowTaskFailedEventAttributes)) {
          problems.push(`${workflowId}: workflow task failed`);
          break;
        }
        progressed = events.some((e) => e.workflowTaskCompletedEventAttributes);
        if (!progressed) await new Promise((r) => setTimeout(r, 250));
      }
      if (!progressed && !problems.some((p) => p.startsWith(workflowId))) problems.push(`${workflowId}: no workflow task completed`);
      const { status } = await handle.describe();
      if (!['RUNNING', 'COMPLETED'].includes(status.name)) problems.push(`${workflowId}: ${status.name}`);
    }
    assert.deepEqual(problems, []);
    // A case described RUNNING a moment ago may complete before the terminate lands.
    for (const id of started) await terminateIfRunning(client.workflow.getHandle(id));
  });

  it('its clean-up leaves alone a case that completed after the last look, and still ends one that runs', async () => {
    // The race a busy machine produced: a case described RUNNING completed before the terminate landed.
    const done = await env.start(caseInput('receipt_request', { accountId: 'ACME-001', paymentId: '3001' }));
    assert.equal((await result(done)).status, 'completed');
    await assert.rejects(done.terminate('test done'), WorkflowNotFoundError, 'what the old clean-up ran into');
    await terminateIfRunning(done);
    assert.equal((await done.describe()).status.name, 'COMPLETED');
    const waiting = await env.start(
      caseInput('refund_request', { accountId: 'ACME-001', invoiceNumber: 'INV-1001', amount: { amountMinor: 20000, currency: 'USD' } }),
    );
    await waitForRequest(waiting);
    await terminateIfRunning(waiting);
    assert.equal((await waiting.describe()).status.name, 'TERMINATED');
  });
});
