/**
 * Issue 7 §3, server restart: a Temporal dev server of this test's own, on a SQLite file, is killed
 * (SIGKILL: no clean shutdown) while cases wait for approval, and started again on the same file and
 * port. The service's API and worker processes keep running through it. The waiting cases still
 * accept decisions (through the signed Slack endpoint) and finish; a call delivered while the server
 * was down is refused with a retryable 503 and started on redelivery; nothing is lost or doubled.
 * CI: 4 waiting cases; `npm run test:reliability:full` runs 20.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { freePort, startDevServer, type DevServer } from '../../src/devtools/dev-server';
import { encodeButtonValue, subjectButtonValue } from '../../src/connectors/slack-buttons';
import type { DecisionSubject } from '../../src/domain/decision';
import { NAMESPACE } from '../support/temporal';
import { ServiceHarness, request } from '../support/service';
import { refundCall, runTag, seedRefundInvoices } from './calls';
import { casesWith, moneyEffects, summarize } from './ledger';
import { figure, listWorkflowIds, refundWorkflowId, size, waitForCases, waitForPendingApproval } from './helpers';

describe('reliability: Temporal server restart on the same SQLite file', function () {
  this.timeout(15 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-temporal-'));
  const dbFile = path.join(dir, 'temporal.sqlite');
  const cliPath = ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVar: process.env.PATH });
  let port: number;
  let server: DevServer | undefined;
  let svc: ServiceHarness;
  let client: Client | undefined;

  const startServer = () =>
    startDevServer({
      cliPath,
      port,
      dbFile,
      namespace: NAMESPACE,
      retentionDays: 1,
      startTimeoutMs: 90_000,
      logFile: path.join(dir, 'temporal.log'),
    });

  before(async () => {
    // The first start may lose its port to a parallel test's server (busy machine): pick another.
    // Restarts below reuse the port the server first bound.
    for (let attempt = 1; !server; attempt++) {
      port = await freePort();
      try {
        server = await startServer();
      } catch (err) {
        if (attempt >= 3 || !/exited during start-up/.test((err as Error).message)) throw err;
      }
    }
    svc = new ServiceHarness({ temporalAddress: server.address });
    await svc.start();
    client = await svc.client();
  });
  after(async () => {
    await client?.connection.close();
    await svc?.stop();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Clicks Approve in Slack: a signed block_actions payload to the service's interactions endpoint. */
  async function slackApprove(workflowId: string, requestId: string, userId: string, subject?: DecisionSubject) {
    const payload = {
      type: 'block_actions',
      user: { id: userId, username: userId.toLowerCase() },
      container: { type: 'message', channel_id: 'C0FINANCE', message_ts: '1700000000.000100' },
      actions: [
        {
          action_id: 'billing_approve',
          block_id: 'decision',
          type: 'button',
          value: encodeButtonValue({ w: workflowId, r: requestId, a: 'approve', ...(subject ? { s: subjectButtonValue(subject) } : {}) }),
        },
      ],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const ts = Math.floor(Date.now() / 1000);
    return request(`${svc.apiUrl}/slack/interactions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': svc.slackSignature(ts, body),
      },
      body,
    });
  }

  it('keeps waiting cases through a server kill and restart; they accept decisions and finish', async () => {
    const waiting = size('RELIABILITY_RESTART_CALLS', 4);
    const tag = runTag();
    // 120.00 USD is above the automation limit: each waits for one approver.
    const plan = Array.from({ length: waiting }, (_, i) => ({ callId: `call_restart_${tag}_${i}` }));
    const bodies = plan.map((p) => refundCall(p.callId, { amount: '120.00' }));
    await seedRefundInvoices(svc.sandboxUrl, bodies);
    const answers = await Promise.all(bodies.map((body) => svc.postCall(body)));
    assert.deepEqual(
      answers.map((a) => a.status),
      plan.map(() => 202),
    );
    const before = await Promise.all(plan.map((p) => waitForPendingApproval(client as Client, p.callId)));

    // Hard kill: whatever the server acknowledged must be on disk.
    const killedAt = Date.now();
    server?.process.kill('SIGKILL');
    await new Promise((r) => server?.process.once('exit', r));
    await client?.connection.close();
    client = undefined;

    // A call arriving now is refused with a retryable answer, not lost silently.
    const lateId = `call_restart_${tag}_late`;
    const late = refundCall(lateId, { amount: '12.00' });
    await seedRefundInvoices(svc.sandboxUrl, [late]);
    const whileDown = await svc.postCall(late);
    assert.equal(whileDown.status, 503, `a delivery while Temporal is down asks to be retried: ${whileDown.text}`);
    const health = await fetch(`${svc.apiUrl}/healthz`);
    assert.equal(health.status, 200, 'the API process itself stays up');

    server = await startServer();
    const downMs = Date.now() - killedAt;
    client = await svc.client();

    // The sender retries its delivery: now it starts the case.
    let redelivered: Awaited<ReturnType<ServiceHarness['postCall']>> | undefined;
    for (let i = 0; i < 40; i++) {
      redelivered = await svc.postCall(late);
      if (redelivered.status === 202) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(redelivered?.status, 202, `redelivery after the restart is accepted: ${redelivered?.text}`);

    // The waiting cases survived with the same approval requests, and accept decisions.
    const after = await Promise.all(plan.map((p) => waitForPendingApproval(client as Client, p.callId)));
    assert.deepEqual(
      after.map((a) => a.requestId),
      before.map((b) => b.requestId),
      'the same approval requests are still open',
    );
    for (const [i, p] of plan.entries()) {
      // The button carries what it approves, as the message showed it.
      const shown = after[i] as { requestId: string; subject?: DecisionSubject };
      let res = await slackApprove(refundWorkflowId(p.callId), shown.requestId, 'U0FIN0001', shown.subject);
      // The API's connection may need a moment to find the server again; Slack would retry a non-200.
      for (let n = 0; res.status !== 200 && n < 20; n++) {
        await new Promise((r) => setTimeout(r, 500));
        res = await slackApprove(refundWorkflowId(p.callId), shown.requestId, 'U0FIN0001', shown.subject);
      }
      assert.equal(res.status, 200, `the approval of ${p.callId} is accepted: ${res.text}`);
    }

    const ids = [...plan.map((p) => p.callId), lateId];
    const results = await waitForCases(client, ids, 5 * 60_000);
    const notCompleted = [...results.entries()].filter(([, s]) => s.status !== 'completed');
    assert.deepEqual(
      notCompleted.map(([id, s]) => `${id}: ${s.status} ${s.reason ?? ''}`),
      [],
      'every case completes',
    );
    for (const p of plan)
      assert.equal(results.get(p.callId)?.decisions.at(-1)?.actor.id, 'U0FIN0001', 'the Slack approval is in the audit trail');

    const onServer = await listWorkflowIds(client, svc.taskQueue);
    const effects = moneyEffects(await svc.sandboxRecords(), ids);
    const sum = summarize(effects);
    figure(
      `restart: ${waiting} cases waiting for approval, server SIGKILLed and restarted on the same SQLite file after ${(downMs / 1000).toFixed(1)} s -> ` +
        `${results.size} completed (1 redelivered after a 503), ${onServer.length} workflows on the server, ${sum.byKind.refund_receipt} refund receipts, ${sum.duplicates.length} duplicates`,
    );
    assert.equal(onServer.length, ids.length, 'one workflow per call, none lost, none extra');
    assert.deepEqual(sum.duplicates, []);
    assert.equal(casesWith(effects, 'refund_receipt').size, ids.length);
  });
});
