/**
 * Case workflows with the real activities against the sandbox: assertions on what the emulated
 * systems received (their recorded requests and stored entities).
 */
import { truncateTestLedger } from '../support/ledger';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WORKFLOW_TYPE, type CaseInput } from '../../src/domain/case';
import { DecisionAction } from '../../src/domain/decision';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { startServiceWorker, testClient } from '../support/temporal';
import { APPROVER_1, APPROVER_2, caseInput, decide, decision, result, skyfireRefund, waitForRequest, attested } from './helpers';

describe('case workflows against the sandbox', function () {
  this.timeout(90_000);
  let sb: TestSandbox;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startServiceWorker>>;
  before(async () => {
    sb = await startSandbox();
    client = await testClient();
    worker = await startServiceWorker(sb.clients, { identity: 'workflows-sandbox' });
  });
  beforeEach(async () => {
    await sb.reset();
    await truncateTestLedger(worker.ledger);
  });
  after(async () => {
    await worker?.stop();
    await client?.connection.close();
    await sb?.close();
  });

  // Started as the intake starts cases: the facts attested (the worker verifies them with the test key).
  const start = (input: CaseInput, workflowId = `case-${input.caseType}-${randomUUID()}`): Promise<WorkflowHandle> =>
    client.workflow.start(WORKFLOW_TYPE[input.caseType], { args: [attested(input, workflowId)], taskQueue: worker.taskQueue, workflowId });
  const slackCalls = (method: string) => sb.records('slack', (r) => r.method === 'POST' && r.path.endsWith(`/${method}`));

  it('two-person refund: the message shows the first vote, QuickBooks gets one RefundReceipt after the second', async () => {
    const h = await start(
      caseInput('refund_request', {
        accountId: 'ACME-001',
        invoiceNumber: 'INV-1003',
        amount: { amountMinor: 150000, currency: 'USD' },
        refundReason: 'billing_error',
      }),
    );
    const requestId = await waitForRequest(h);
    assert.equal((await slackCalls('chat.postMessage')).length, 1);
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    assert.equal((await sb.records('quickbooks', (r) => r.method === 'POST' && r.path.endsWith('/refundreceipt'))).length, 0);
    await decide(h, decision(requestId, APPROVER_2, DecisionAction.Approve));
    const s = await result(h);
    assert.equal(s.status, 'completed');
    const receipts = (await sb.control('/quickbooks/entities/RefundReceipt')) as { TotalAmt: number; PrivateNote?: string }[];
    assert.deepEqual(
      receipts.map((r) => r.TotalAmt),
      [1500],
    );
    assert.match(receipts[0].PrivateNote ?? '', /Approved by Dana Finance and Sam Ledger/);
    assert.doesNotMatch(receipts[0].PrivateNote ?? '', /@/, 'no contact details in QuickBooks');
    const updates = await slackCalls('chat.update');
    assert.ok(updates.length >= 2, 'one update for the counted vote, one for the decision');
    const lastBlocks = JSON.stringify((updates.at(-1)!.body as { blocks?: unknown }).blocks ?? []);
    assert.doesNotMatch(lastBlocks, /"type":"button"/, 'decided message has no buttons');
  });

  it('Skyfire refund with enough balance: one pay token tagged with the case, charged by the seller, then the QuickBooks record', async () => {
    const h = await start(skyfireRefund());
    const s = await result(h);
    assert.equal(s.status, 'completed');
    const tokens = (await sb.control('/skyfire/tokens')) as { type: string; buyerTag: string | null }[];
    const pay = tokens.filter((t) => t.type === 'pay');
    assert.equal(pay.length, 1);
    assert.equal(pay[0].buyerTag, `${h.workflowId}/refund.pay`, 'the token carries the case and step');
    const skyfire = await sb.records('skyfire');
    const balanceAt = skyfire.findIndex((r) => r.method === 'GET' && r.path.endsWith('/agents/balance'));
    const payAt = skyfire.findIndex((r) => r.method === 'POST' && (r.body as { type?: string }).type === 'pay');
    assert.ok(balanceAt >= 0 && balanceAt < payAt, 'balance checked before the pay token');
    assert.equal(((await sb.control('/quickbooks/entities/RefundReceipt')) as unknown[]).length, 1);
    const wallet = (await (
      await fetch(`${sb.url}/skyfire/api/v1/agents/balance`, { headers: { 'skyfire-api-key': 'sandbox-skyfire-buyer-key' } })
    ).json()) as { available: string; heldAmount: string };
    assert.deepEqual(
      wallet,
      { available: '470.000000', heldAmount: '0.000000', pendingCharges: '0', pendingDeposits: '0' },
      'USD 30.00 left the wallet',
    );
  });

  it('Skyfire refund whose pay token create is refused twice with 429: the worker retries (each refusal proves nothing was made), one token, completed', async () => {
    // Proof that an attempt created nothing must reach the next attempt through a real worker and
    // server: the activity heartbeats it as it fails, and only then may a retry create a token.
    await sb.faults('skyfire', { rateLimitNext: 2, retryAfterSeconds: 1, nextMatch: '"type":"pay"' });
    const h = await start(skyfireRefund());
    const s = await result(h);
    assert.equal(s.status, 'completed', s.reason);
    const creates = await sb.records('skyfire', (r) => r.method === 'POST' && (r.body as { type?: string }).type === 'pay');
    assert.deepEqual(
      creates.map((r) => r.status),
      [429, 429, 200],
    );
    const tokens = (await sb.control('/skyfire/tokens')) as { type: string }[];
    assert.equal(tokens.filter((t) => t.type === 'pay').length, 1);
    assert.equal(((await sb.control('/quickbooks/entities/RefundReceipt')) as unknown[]).length, 1);
  });

  it('Skyfire refund when the pay token answer is lost: no second reservation, needs attention, nothing recorded', async () => {
    await sb.faults('skyfire', { dropNext: 1, nextMatch: '"type":"pay"' });
    const h = await start(skyfireRefund());
    const s = await result(h);
    assert.equal(s.status, 'needs_attention');
    assert.match(s.reason ?? '', /SKYFIRE_OUTCOME_UNKNOWN|may have created a pay token/);
    const tokens = (await sb.control('/skyfire/tokens')) as { type: string; buyerTag: string | null }[];
    assert.deepEqual(
      tokens.filter((t) => t.type === 'pay').map((t) => t.buyerTag),
      [`${h.workflowId}/refund.pay`],
      'exactly one reservation',
    );
    assert.equal(((await sb.control('/quickbooks/entities/RefundReceipt')) as unknown[]).length, 0);
  });

  it('Skyfire refund with too little balance: no token, finance alerted in Slack, nothing recorded', async () => {
    await sb.control('/skyfire/wallet', { balance: '5.00' });
    const h = await start(skyfireRefund());
    const s = await result(h);
    assert.equal(s.status, 'needs_attention');
    const posted = await sb.records('skyfire', (r) => r.method === 'POST' && r.path.endsWith('/tokens'));
    assert.equal(posted.length, 0);
    const alerts = await slackCalls('chat.postMessage');
    assert.equal(alerts.length, 1);
    assert.equal((alerts[0].body as { channel: string }).channel, 'C0FINANCE');
    assert.equal(((await sb.control('/quickbooks/entities/RefundReceipt')) as unknown[]).length, 0);
  });

  it('address correction approved after someone else edited the customer: re-reads the SyncToken and updates sparsely', async () => {
    const h = await start(
      caseInput('billing_details_correction', {
        accountId: 'ACME-001',
        newBillingAddress: { line1: '500 Howard St', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' },
      }),
    );
    const requestId = await waitForRequest(h);
    await sb.control('/quickbooks/customer/101/touch', {});
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    const s = await result(h);
    assert.equal(s.status, 'completed');
    const writes = await sb.records('quickbooks', (r) => r.method === 'POST' && r.path.endsWith('/customer'));
    const ok = writes.filter((w) => w.status === 200);
    assert.equal(ok.length, 1);
    const body = ok[0].body as { sparse: boolean; SyncToken: string; BillAddr: { Line1: string } };
    assert.deepEqual([body.sparse, body.SyncToken, body.BillAddr.Line1], [true, '1', '500 Howard St']);
  });

  it('invoice resend to an address not on file, rejected: nothing is sent', async () => {
    const h = await start(
      caseInput('invoice_resend', { accountId: 'ACME-001', invoiceNumber: 'INV-1001', customerEmail: 'someone@elsewhere.example' }),
    );
    const requestId = await waitForRequest(h);
    const post = (await slackCalls('chat.postMessage'))[0];
    assert.doesNotMatch(JSON.stringify(post.body), /elsewhere\.example/);
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Reject));
    assert.equal((await result(h)).status, 'rejected');
    assert.equal((await sb.records('quickbooks', (r) => r.path.includes('/send'))).length, 0);
    assert.equal((await sb.records('gmail', (r) => r.method === 'POST')).length, 0);
  });
});
