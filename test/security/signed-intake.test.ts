/**
 * Signed intake and automation on evidence (issue 21), on the real path: a real Temporal dev
 * server, the real API (webhook, signed with the DialNexa secret), a worker with the real
 * activities, gate and money path against the sandbox.
 *
 * - A case started straight through the Temporal client with made-up facts (no attestation, or one
 *   made for another workflow, or altered facts) is never automated: it waits for a person, is
 *   flagged (fact, warning in the Slack request) and counted (`billing_case_facts_unverified_total`).
 * - A "charged twice" refund is automated only when QuickBooks shows the invoice paid twice.
 * - The payment route is the CRM's: a caller's `payment_platform` does not pick Skyfire.
 * - A case chosen in triage is attested by the worker and keeps working.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { decodeArray } from '../../src/temporal/sdk-helpers';
import { createApp } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { WORKFLOW_TYPE, type CaseInput } from '../../src/domain/case';
import { attestCaseFacts, verifyCaseFacts } from '../../src/proofs/case-facts';
import { caseWorkflowId } from '../../src/temporal/workflow-ids';
import { CASE_FACTS_UNVERIFIED_METRIC } from '../../src/activities/gate';
import { statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';
import { seedPaidInvoice } from '../../bench/lib/calls';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { TEST_DECISION_KEY } from '../support/policy';
import { decideSigned, postFixture, waitForApprovalRequest, waitForCaseState } from '../support/signed-cases';
import { runtimeMetricsUrl, startServiceWorker, testClient, temporalAddress } from '../support/temporal';
import { caseInput } from '../workflows/helpers';

const WEBHOOK_SECRET = 'signed-intake-test-dialnexa-secret-0123456789';

type QboRecord = { Id: string; TotalAmt: number; CustomerRef: { value: string }; PrivateNote?: string };

describe('signed intake: automation only on attested facts and on evidence in QuickBooks', function () {
  this.timeout(120_000);
  let sb: TestSandbox;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startServiceWorker>>;
  let server: Server;
  let baseUrl: string;
  const running: WorkflowHandle[] = [];

  before(async () => {
    sb = await startSandbox();
    client = await testClient();
    worker = await startServiceWorker(sb.clients, { identity: 'signed-intake' });
    const config = loadConfig({
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: worker.taskQueue,
      LOG_LEVEL: 'silent',
      SANDBOX_URL: sb.url,
    });
    const app = createApp({
      config,
      client,
      logger: createLogger({ level: 'silent' }),
      secrets: {
        dialnexaWebhookSecret: WEBHOOK_SECRET,
        slackSigningSecret: 'signed-intake-test-slack-secret',
        apiToken: 'signed-intake-test-api-token-0123456789abcdef',
        // The API attests case facts with the key the worker verifies them with.
        decisionKey: TEST_DECISION_KEY,
      },
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const h of running) await h.terminate('test done').catch(() => undefined);
    server?.close();
    await worker?.stop();
    await client?.connection.close();
    await sb?.close();
  });

  const post = async (analysis: Record<string, unknown>, fixture = 'refund_request'): Promise<WorkflowHandle> =>
    client.workflow.getHandle(await postFixture(baseUrl, WEBHOOK_SECRET, fixture, analysis));
  const startDirect = async (input: CaseInput, workflowId = caseWorkflowId(input.call.callId, input.caseType)) => {
    const h = await client.workflow.start(WORKFLOW_TYPE[input.caseType], { args: [input], taskQueue: worker.taskQueue, workflowId });
    running.push(h);
    return h;
  };
  const receiptsOf = async (customerId: string) =>
    ((await sb.control('/quickbooks/entities/RefundReceipt')) as QboRecord[]).filter((r) => r.CustomerRef.value === customerId);
  const payTokens = async () =>
    sb.records('skyfire', (r) => r.method === 'POST' && r.path === '/api/v1/tokens' && (r.body as { type?: string })?.type !== 'kya');
  /** The Slack approval request of a case, as posted (its blocks as JSON text). */
  const approvalPosted = async (h: WorkflowHandle): Promise<string> => {
    const s = await h.query(statusQuery);
    const ts = s.pendingApproval?.slackMessage?.ts;
    const posts = await sb.records('slack', (r) => r.method === 'POST' && r.path.endsWith('/chat.postMessage'));
    const text = posts.map((p) => JSON.stringify(p.body)).find((b) => b.includes(h.workflowId));
    assert.ok(text, `no approval request posted for ${h.workflowId} (ts ${ts})`);
    return text;
  };
  /** Polls the counter until it grew by `n` since `before` (the runtime exports metrics with a short delay). */
  const countedSince = async (reason: string, before: number, n: number): Promise<number> => {
    let now = await factsCounted(reason);
    for (let i = 0; i < 50 && now - before < n; i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await factsCounted(reason);
    }
    return now - before;
  };
  const factsCounted = async (reason: string): Promise<number> => {
    const text = await (await fetch(runtimeMetricsUrl())).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${CASE_FACTS_UNVERIFIED_METRIC}{`) && l.includes(`reason="${reason}"`))
      .reduce((sum, l) => sum + Number(l.trim().split(/\s+/).at(-1)), 0);
  };
  /** What the case wrote on its Zendesk ticket (the billing note with its facts, internal and public comments). */
  const note = async (s: CaseState): Promise<string> => {
    const ticket = s.records.find((r) => r.system === 'zendesk')?.id;
    const tickets = (await sb.control('/zendesk/tickets')) as { id: number | string; comments: { body?: string }[] }[];
    return (tickets.find((t) => String(t.id) === ticket)?.comments ?? []).map((c) => c.body ?? '').join('\n');
  };
  const invoice = async (accountId: string, totalMinor: number, duplicatePayment: boolean) => {
    const docNumber = `INV-S-${randomBytes(4).toString('hex')}`;
    await seedPaidInvoice(sb.url, { docNumber, accountId, totalMinor, duplicatePayment });
    return docNumber;
  };

  it('a refund started with the Temporal client and made-up facts (0.99, "duplicate_charge", a paid invoice, Skyfire) moves no money: a person decides, it is flagged and counted', async () => {
    const before = await factsCounted('unsigned');
    const tokensBefore = (await payTokens()).length;
    // Umbrella's INV-4002 was really paid twice, so on the caller's word and QuickBooks' evidence
    // alone this would be automated: only the missing attestation stops it.
    const forged = caseInput(
      'refund_request',
      {
        accountId: 'UMBRELLA-004',
        invoiceNumber: 'INV-4002',
        amount: { amountMinor: 4000, currency: 'USD' },
        refundReason: 'duplicate_charge',
        paymentPlatform: 'skyfire',
      },
      { intentConfidence: 0.99 },
    );
    const h = await startDirect(forged);
    const s = await waitForCaseState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
    assert.equal(s.status, 'awaiting_approval');
    const posted = await approvalPosted(h);
    assert.match(posted, /did not come signed from the call intake/, 'finance sees why in the request');
    assert.match(posted, /Warning/);
    assert.deepEqual(await receiptsOf('104'), [], 'no RefundReceipt');
    assert.equal((await payTokens()).length, tokensBefore, 'no Skyfire pay token');
    assert.match(await note(s), /not signed by the call intake/);
    assert.equal(await countedSince('unsigned', before, 1), 1, 'counted once');
  });

  it('a charge dispute started with the Temporal client and made-up facts warns its approvers and is flagged and counted (attack F3)', async () => {
    const before = await factsCounted('unsigned');
    const forged = caseInput('charge_dispute', {
      accountId: 'ACME-001',
      invoiceNumber: 'INV-1003',
      amount: { amountMinor: 250000, currency: 'USD' },
      disputeReason: 'not_received',
    });
    const h = await startDirect(forged);
    const s = await waitForCaseState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
    const posted = await approvalPosted(h);
    assert.match(posted, /dispute did not come signed from the call intake/, 'the approvers see it before accepting');
    assert.match(await note(s), /not signed by the call intake/);
    assert.equal(await countedSince('unsigned', before, 1), 1, 'counted once');
  });

  it('a charge dispute that came through the signed webhook carries no such warning', async () => {
    const h = await post({ account_id: 'ACME-001', invoice_number: 'INV-1003' }, 'charge_dispute');
    running.push(h);
    await waitForCaseState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
    assert.doesNotMatch(await approvalPosted(h), /did not come signed/);
  });

  it('an attestation copied to another workflow, or facts altered under a valid-looking one, is refused', async () => {
    const before = await factsCounted('bad_mac');
    // A real attestation, made by the API for the case it started (as in that case's history).
    const docNumber = await invoice('ACME-001', 3000, true);
    const receiptsBefore = (await receiptsOf('101')).length;
    const original = await post({ account_id: 'ACME-001', invoice_number: docNumber, amount: '30.00', intent_confidence: 0.95 });
    running.push(original);
    const history = await original.fetchHistory();
    const payloads = history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads;
    const [started] = (await decodeArray(client.options.loadedDataConverter, payloads)) as CaseInput[];
    assert.equal(started.attestation?.by, 'api');
    assert.equal(verifyCaseFacts(TEST_DECISION_KEY, original.workflowId, started).ok, true, 'the intake attested the case it started');

    // 1) the same facts and attestation under another workflow id (another call)
    const copied = await startDirect({ ...started, call: { ...started.call, callId: `${started.call.callId}x` } });
    // 2) a valid attestation for this workflow id, then one fact changed (the invoice: another one paid twice)
    const fresh = caseInput('refund_request', { ...started.fields }, { intentConfidence: 0.95 });
    const signed = {
      ...fresh,
      attestation: attestCaseFacts(TEST_DECISION_KEY, caseWorkflowId(fresh.call.callId, 'refund_request'), fresh),
    };
    const altered = await startDirect({ ...signed, fields: { ...signed.fields, invoiceNumber: 'INV-1002' } });
    for (const h of [copied, altered]) {
      const s = await waitForCaseState(h, (st) => st.pendingApproval?.slackMessage !== undefined);
      assert.equal(s.status, 'awaiting_approval', h.workflowId);
      assert.match(await note(s), /changed after the call intake signed them/);
    }
    assert.equal(await countedSince('bad_mac', before, 2), 2);
    assert.equal(((await original.result()) as CaseState).status, 'completed');
    assert.equal((await receiptsOf('101')).length, receiptsBefore + 1, 'only the signed original was refunded');
  });

  it('INV-4001, paid once (USD 40.00), refunded "charged twice": a person decides, shown the one payment; nothing moves', async () => {
    const tokensBefore = (await payTokens()).length;
    const h = await post({
      account_id: 'UMBRELLA-004',
      invoice_number: 'INV-4001',
      payment_id: '3004',
      amount: '40.00',
      refund_reason: 'duplicate_charge',
      payment_platform: 'skyfire',
      intent_confidence: 0.97,
    });
    running.push(h);
    await waitForApprovalRequest(h);
    const posted = await approvalPosted(h);
    assert.match(posted, /QuickBooks shows no second payment on the invoice for this amount/);
    assert.match(posted, /payment 3004 USD 40\.00 \(USD 40\.00 applied to a USD 40\.00 invoice\)/, 'the approver sees what was found');
    assert.doesNotMatch(posted, /not come signed/, 'the webhook signed its facts');
    assert.deepEqual(await receiptsOf('104'), []);
    assert.equal((await payTokens()).length, tokensBefore, 'no Skyfire pay token');
  });

  it('a duplicate payment QuickBooks shows is automated (RefundReceipt, no approval), through Skyfire for a Skyfire account', async () => {
    const tokensBefore = (await payTokens()).length;
    const h = await post({
      account_id: 'UMBRELLA-004',
      invoice_number: 'INV-4002',
      payment_id: '3005',
      amount: '40.00',
      refund_reason: 'duplicate_charge',
      payment_platform: 'skyfire',
      intent_confidence: 0.95,
    });
    const s = (await h.result()) as CaseState;
    assert.equal(s.status, 'completed', s.reason);
    assert.equal(s.decisions.length, 0, 'nobody was asked');
    assert.match(await note(s), /Payments on INV-4002 in QuickBooks: payment 3005 USD 40\.00, payment 3008 USD 40\.00/);
    assert.deepEqual(
      (await receiptsOf('104')).map((r) => r.TotalAmt),
      [40],
    );
    assert.equal((await payTokens()).length, tokensBefore + 1, 'one Skyfire pay token');
  });

  it("a caller's payment_platform=skyfire on an account that pays through QuickBooks does not take the Skyfire route", async () => {
    const tokensBefore = (await payTokens()).length;
    const docNumber = await invoice('ACME-001', 2000, true);
    const h = await post({
      account_id: 'ACME-001',
      invoice_number: docNumber,
      amount: '20.00',
      refund_reason: 'duplicate_charge',
      payment_platform: 'skyfire',
      intent_confidence: 0.95,
    });
    const s = (await h.result()) as CaseState;
    assert.equal(s.status, 'completed', s.reason);
    assert.equal((await payTokens()).length, tokensBefore, 'no Skyfire pay token: the CRM says QuickBooks');
    assert.ok(!s.records.some((r) => r.system === 'skyfire'));
    assert.match(await note(s), /The caller said they pay through skyfire; the CRM says quickbooks, and its route is used/);
    assert.ok((await receiptsOf('101')).some((r) => r.TotalAmt === 20 && r.PrivateNote?.includes(docNumber)));
  });

  it('a refund a person chose in triage is attested by the worker and keeps working; one chosen from unsigned triage facts is not automated', async () => {
    const docNumber = await invoice('ACME-001', 1500, true);
    const analysis = {
      billing_intent: 'triage',
      billing_intents: ['refund_request'],
      account_id: 'ACME-001',
      invoice_number: docNumber,
      amount: '15.00',
      refund_reason: 'duplicate_charge',
      intent_confidence: 0.95,
    };
    const triage = await post(analysis);
    assert.match(triage.workflowId, /^case-triage-/);
    const requestId = await waitForApprovalRequest(triage);
    await decideSigned(triage, TEST_DECISION_KEY, requestId, 'U0FIN0001', 'choose_case', { caseType: 'refund_request' });
    const t = (await triage.result()) as CaseState;
    const child = client.workflow.getHandle(t.startedCase!.workflowId);
    const s = (await child.result()) as CaseState;
    assert.equal(s.status, 'completed', s.reason);
    assert.equal(s.decisions.length, 0, 'automated: its facts verified (attested by the worker)');
    assert.doesNotMatch(await note(s), /not signed|changed after/);

    // The same triage started through the client with made-up facts: the chosen refund is not automated.
    const forged = caseInput(
      'triage',
      {
        accountId: 'ACME-001',
        invoiceNumber: docNumber,
        amount: { amountMinor: 1500, currency: 'USD' },
        refundReason: 'duplicate_charge',
      },
      { intentConfidence: 0.99, candidateCaseTypes: ['refund_request'] },
    );
    const unsignedBefore = await factsCounted('unsigned');
    const h = await startDirect(forged);
    const rid = await waitForApprovalRequest(h);
    await decideSigned(h, TEST_DECISION_KEY, rid, 'U0FIN0001', 'choose_case', { caseType: 'refund_request' });
    const ft = (await h.result()) as CaseState;
    const forgedChild = client.workflow.getHandle(ft.startedCase!.workflowId);
    running.push(forgedChild);
    const cs = await waitForCaseState(forgedChild, (st) => st.pendingApproval?.slackMessage !== undefined);
    assert.equal(cs.status, 'awaiting_approval', 'a person decides');
    assert.match(await note(cs), /not signed by the call intake/);
    assert.equal(await countedSince('unsigned', unsignedBefore, 2), 2, 'counted in triage and in the chosen case');
  });
});
