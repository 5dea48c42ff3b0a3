/**
 * The Slack Home tab end to end on a real Temporal server: refund cases waiting on Dana (real
 * workflows, real activities against the sandbox), the sandbox's Home tab opened as Slack opens it
 * (a signed app_home_opened to POST /slack/events), a decision clicked in the tab (a signed
 * block_actions from the view to POST /slack/interactions), and the tab published again.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Express } from 'express';
import { createApp, drainBackground } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { WORKFLOW_TYPE, type CaseInput } from '../../src/domain/case';
import { decodeButtonValue } from '../../src/connectors/slack-buttons';
import type { SandboxHomeView } from '../../src/sandbox/systems/slack/state';
import { statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { startServiceWorker, temporalAddress, testClient } from '../support/temporal';
import { TEST_DECISION_KEY } from '../support/policy';
import { caseInput, waitForRequest } from '../workflows/helpers';

const SIGNING_SECRET = 'test-slack-home-secret-0123456789';
const DANA = 'U0FIN0001';
const SAM = 'U0FIN0002';
const ALEX = 'U0AGT0001';

type Block = { type: string; block_id?: string; text?: { text: string }; elements?: { value?: string; action_id?: string }[] };

/** The workflow ids behind a Home view's buttons, top to bottom. */
const casesOn = (home: SandboxHomeView | undefined) =>
  ((home?.view.blocks ?? []) as Block[])
    .filter((b) => b.type === 'actions')
    .map((b) => decodeButtonValue(b.elements?.[0]?.value)?.w)
    .filter((w): w is string => Boolean(w));

describe('Slack Home tab: "Waiting on you" against Temporal and the sandbox', function () {
  this.timeout(90_000);
  let sb: TestSandbox;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startServiceWorker>>;
  let api: { server: Server; url: string };
  let app: Express | undefined;
  const started: WorkflowHandle[] = [];

  const slackState = async () => (await sb.control('/slack/state')) as { homes: Record<string, SandboxHomeView> };
  const home = async (user: string) => (await slackState()).homes[user];

  /** Opens the user's Home tab until the published view satisfies `ok` (visibility catches up within moments). */
  async function openHomeUntil(user: string, ok: (h: SandboxHomeView | undefined) => boolean, what: string): Promise<SandboxHomeView> {
    const until = Date.now() + 20_000;
    let last: SandboxHomeView | undefined;
    while (Date.now() < until) {
      const before = (await home(user))?.hash;
      const opened = (await fetch(`${sb.url}/_sandbox/slack/home?as=${user}`)).status;
      assert.equal(opened, 200);
      // The service answers the event first and publishes after: wait for a new view.
      for (let i = 0; i < 40; i++) {
        last = await home(user);
        if (last && last.hash !== before) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (ok(last)) return last!;
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`${what}; last view: ${JSON.stringify(last?.view.blocks)}`);
  }

  async function startCase(input: CaseInput): Promise<{ handle: WorkflowHandle; requestId: string }> {
    const handle = await client.workflow.start(WORKFLOW_TYPE[input.caseType], {
      args: [input],
      taskQueue: worker.taskQueue,
      workflowId: `case-${input.caseType}-${input.call.callId}`,
    });
    started.push(handle);
    return { handle, requestId: await waitForRequest(handle) };
  }

  before(async () => {
    sb = await startSandbox();
    client = await testClient();
    worker = await startServiceWorker(sb.clients, { identity: 'home-tab-test' });
    const config = loadConfig({
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: worker.taskQueue,
      TEMPORAL_UI_URL: 'http://temporal-ui.test',
      LOG_LEVEL: 'silent',
      SANDBOX_URL: sb.url,
    });
    const created = createApp({
      config,
      client,
      logger: createLogger({ level: process.env.SLACK_TEST_LOG_LEVEL ?? 'silent' }),
      secrets: {
        decisionKey: TEST_DECISION_KEY,
        dialnexaWebhookSecret: 'test-dialnexa-secret-0123456789',
        slackSigningSecret: SIGNING_SECRET,
      },
    });
    app = created;
    api = await new Promise((resolve) => {
      const s = created.listen(0, '127.0.0.1', () => resolve({ server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` }));
    });
    await sb.control('/slack/config', {
      interactionsUrl: `${api.url}/slack/interactions`,
      eventsUrl: `${api.url}/slack/events`,
      signingSecret: SIGNING_SECRET,
    });
  });

  after(async () => {
    for (const h of started) await h.terminate('test done').catch(() => undefined);
    api?.server.close();
    // What a click still does after Slack's answer (its outcome, the Home tab) ends before the client closes.
    if (app) await drainBackground(app);
    await worker?.stop();
    await client?.connection.close();
    await sb?.close();
  });

  it('lists Dana’s two waiting refunds oldest first, shows Alex nothing, and drops the one Dana approves from her tab', async () => {
    const older = await startCase(
      caseInput('refund_request', {
        accountId: 'ACME-001',
        invoiceNumber: 'INV-1002',
        amount: { amountMinor: 45000, currency: 'USD' },
        refundReason: 'duplicate_charge',
      }),
    );
    const newer = await startCase(
      caseInput('refund_request', {
        accountId: 'ACME-001',
        invoiceNumber: 'INV-1003',
        amount: { amountMinor: 20000, currency: 'USD' },
        refundReason: 'billing_error',
      }),
    );

    const danas = await openHomeUntil(DANA, (h) => casesOn(h).length === 2, 'both refunds on Dana’s tab');
    assert.deepEqual(casesOn(danas), [older.handle.workflowId, newer.handle.workflowId], 'oldest request first');
    const text = JSON.stringify(danas.view.blocks);
    assert.match(text, /Waiting on you/);
    assert.match(text, /Refund approval/);
    assert.match(text, /USD 450\.00/);
    assert.match(text, /USD 200\.00/);
    assert.match(text, /ACME-001/);
    assert.match(text, new RegExp(`http://temporal-ui.test/namespaces/default/workflows/${older.handle.workflowId}\\|Open the case`));
    assert.doesNotMatch(text, /@acme\.example/, 'no contact details');

    const alexs = await openHomeUntil(ALEX, (h) => h !== undefined, 'Alex’s tab published');
    assert.deepEqual(casesOn(alexs), []);
    assert.match(JSON.stringify(alexs.view.blocks), /Nothing is waiting on you\./);

    // Dana clicks Approve on the older refund, in the tab.
    const click = await fetch(`${sb.url}/_sandbox/slack/home/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: DANA, viewId: danas.id, actionId: 'billing_approve', blockId: `home_decision_${older.requestId}` }),
    });
    const delivered = (await click.json()) as { status: number; body: string };
    assert.equal(delivered.status, 200, delivered.body);
    const done = (await older.handle.result()) as CaseState;
    assert.equal(done.status, 'completed');
    assert.deepEqual(
      done.decisions.map((d) => [d.actor.id, d.action, d.source]),
      [[DANA, 'approve', 'slack']],
    );
    assert.equal(((await sb.control('/quickbooks/entities/RefundReceipt')) as unknown[]).length, 1, 'the refund was recorded once');

    // Her tab was published again, without the decided case, saying what was recorded; nobody opened it.
    const until = Date.now() + 15_000;
    let after = await home(DANA);
    while (
      Date.now() < until &&
      (casesOn(after).includes(older.handle.workflowId) || !/Recorded/.test(JSON.stringify(after?.view.blocks)))
    ) {
      await new Promise((r) => setTimeout(r, 100));
      after = await home(DANA);
    }
    assert.deepEqual(casesOn(after), [newer.handle.workflowId]);
    assert.match(JSON.stringify(after?.view.blocks), /Recorded: Approved by/);
    assert.equal(after?.id, danas.id, 'the same Home view, published again');
    // The newer refund still waits.
    assert.ok((await newer.handle.query(statusQuery)).pendingApproval);

    // A tab left open from before the decision still shows the old button (Slack does not tell the
    // app who has a tab open): Sam clicks it (the value from the earlier view), nothing changes and
    // his tab says so. (Dana clicking again is the same update, recorded once: "Recorded" again.)
    await openHomeUntil(SAM, (h) => casesOn(h).includes(newer.handle.workflowId), 'Sam’s tab published');
    const staleValue = ((danas.view.blocks as Block[]).find((b) => b.block_id === `home_decision_${older.requestId}`)?.elements ?? [])[0]
      ?.value;
    const stale = await fetch(`${sb.url}/_sandbox/slack/home/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: SAM, actionId: 'billing_approve', value: staleValue }),
    });
    assert.equal(((await stale.json()) as { status: number }).status, 200);
    const saidUntil = Date.now() + 15_000;
    let said = await home(SAM);
    while (Date.now() < saidUntil && !/Nothing changed/.test(JSON.stringify(said?.view.blocks))) {
      await new Promise((r) => setTimeout(r, 100));
      said = await home(SAM);
    }
    assert.match(JSON.stringify(said?.view.blocks), /Already decided[^"]*Nothing changed/);
    assert.deepEqual(casesOn(said), [newer.handle.workflowId]);
    assert.equal(((await sb.control('/quickbooks/entities/RefundReceipt')) as unknown[]).length, 1, 'still one refund');
  });

  it('rejects from the tab through the reason modal, and the tab says so', async () => {
    const c = await startCase(
      caseInput('refund_request', {
        accountId: 'ACME-001',
        invoiceNumber: 'INV-1003',
        amount: { amountMinor: 30000, currency: 'USD' },
        refundReason: 'service_outage',
      }),
    );
    const danas = await openHomeUntil(DANA, (h) => casesOn(h).includes(c.handle.workflowId), 'the refund on Dana’s tab');
    const click = await fetch(`${sb.url}/_sandbox/slack/home/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: DANA, viewId: danas.id, actionId: 'billing_reject', blockId: `home_decision_${c.requestId}` }),
    });
    assert.equal(((await click.json()) as { status: number }).status, 200);
    const state = (await sb.control('/slack/state')) as { views: { id: string; user: string; open: boolean }[] };
    const modal = state.views.find((v) => v.user === DANA && v.open);
    assert.ok(modal, 'the reason modal opened over the tab');
    const sub = await fetch(`${sb.url}/_sandbox/slack/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: DANA, viewId: modal.id, values: { reason: { reason_input: 'Outage credit already issued' } } }),
    });
    assert.equal(((await sub.json()) as { status: number }).status, 200);
    assert.equal(((await c.handle.result()) as CaseState).status, 'rejected');
    const until = Date.now() + 15_000;
    let after = await home(DANA);
    while (Date.now() < until && !/Recorded: Rejected by/.test(JSON.stringify(after?.view.blocks))) {
      await new Promise((r) => setTimeout(r, 100));
      after = await home(DANA);
    }
    assert.match(JSON.stringify(after?.view.blocks), /Recorded: Rejected by/);
    assert.ok(!casesOn(after).includes(c.handle.workflowId));
  });
});
