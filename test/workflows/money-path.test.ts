/**
 * The money path against the sandbox, with the real activities, the real gate and the real
 * per-invoice lock on the real Temporal server: the attempts the money-path issue reproduced, made
 * again. Nothing here is a fake: QuickBooks' records (the sandbox's) are what is counted.
 */
import { seedPaidInvoice } from '../../bench/lib/calls';
import { truncateTestLedger } from '../support/ledger';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WORKFLOW_TYPE, type CaseInput } from '../../src/domain/case';
import { DecisionAction } from '../../src/domain/decision';
import { statusQuery } from '../../src/workflows/messages';
import type { CaseState } from '../../src/domain/case-state';
import { CaseStatusKey, WaitingOnKey } from '../../src/temporal/search-attributes';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { startServiceWorker, testClient } from '../support/temporal';
import {
  APPROVER_1,
  APPROVER_2,
  caseInput,
  confirmMoneyReturned,
  decide,
  decision,
  mutablePolicy,
  result,
  waitForRequest,
  attested,
} from './helpers';

interface QboRecord {
  Id: string;
  TotalAmt: number;
  PrivateNote?: string;
  CurrencyRef?: { value: string };
  Line: { Amount: number; Description?: string }[];
}

describe('the money path against the sandbox (real activities, real lock)', function () {
  this.timeout(120_000);
  let sb: TestSandbox;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startServiceWorker>>;
  const policy = mutablePolicy();
  before(async () => {
    sb = await startSandbox();
    client = await testClient();
    worker = await startServiceWorker(sb.clients, { identity: 'money-path', policy: policy.get });
  });
  beforeEach(async () => {
    await sb.reset();
    await truncateTestLedger(worker.ledger);
    policy.set({ approvers: [APPROVER_1, APPROVER_2] });
  });
  after(async () => {
    await worker?.stop();
    await client?.connection.close();
    await sb?.close();
  });

  // Started as the intake starts cases: the facts attested (the worker verifies them with the test key).
  const start = (input: CaseInput, workflowId = `case-${input.caseType}-${randomUUID()}`): Promise<WorkflowHandle> =>
    client.workflow.start(WORKFLOW_TYPE[input.caseType], { args: [attested(input, workflowId)], taskQueue: worker.taskQueue, workflowId });
  const refund = (fields: Partial<CaseInput['fields']>) =>
    caseInput('refund_request', {
      accountId: 'ACME-001',
      invoiceNumber: 'INV-1002',
      amount: { amountMinor: 45000, currency: 'USD' },
      refundReason: 'duplicate_charge',
      ...fields,
    });
  const records = async (entity: 'RefundReceipt' | 'CreditMemo', invoice: string) =>
    ((await sb.control(`/quickbooks/entities/${entity}`)) as QboRecord[]).filter((r) =>
      (r.Line ?? []).some((l) => l.Description === `${entity === 'RefundReceipt' ? 'Refund' : 'Credit'} for invoice ${invoice}`),
    );
  const slackText = async (h: WorkflowHandle) =>
    JSON.stringify(
      await sb.records(
        'slack',
        (r) => JSON.stringify(r.body ?? '').includes(h.workflowId) || JSON.stringify(r.body ?? '').includes('Not refunded'),
      ),
    );
  const publicNotes = async () => JSON.stringify(await sb.records('zendesk', (r) => r.method !== 'GET'));

  it('small refunds inside the limit that name no invoice: each waits for a person, none moves money unattended', async () => {
    // Nothing bounds a refund of no invoice (no amount paid, no earlier refund, no owner to check),
    // so the same caller asking again and again must not be refunded again and again.
    const cases = await Promise.all(
      Array.from({ length: 4 }, () => start(refund({ invoiceNumber: undefined, amount: { amountMinor: 900, currency: 'USD' } }))),
    );
    const requests = await Promise.all(cases.map((h) => waitForRequest(h)));
    assert.equal(new Set(requests).size, 4);
    const receipts = (await sb.control('/quickbooks/entities/RefundReceipt')) as QboRecord[];
    assert.equal(receipts.length, 0, 'nothing refunded without a person');
    assert.match(await slackText(cases[0]), /No invoice was named, so what was paid cannot be checked/);
    // A person may still approve one. No invoice, so no card charge to refund: a person returns the
    // money and finance confirms it; only then is it recorded, once.
    await decide(cases[0], decision(requests[0], APPROVER_1, DecisionAction.Approve));
    await confirmMoneyReturned(cases[0]);
    assert.equal((await result(cases[0])).status, 'completed');
    assert.equal(((await sb.control('/quickbooks/entities/RefundReceipt')) as QboRecord[]).length, 1);
    await Promise.all(cases.slice(1).map((h) => h.terminate('test over')));
  });

  it('two cases refunding the whole paid amount of one invoice, approved at the same moment: one refund; the other closes saying why', async () => {
    const a = await start(refund({}));
    const b = await start(refund({}));
    const [ra, rb] = await Promise.all([waitForRequest(a), waitForRequest(b)]);
    await Promise.all([
      decide(a, decision(ra, APPROVER_1, DecisionAction.Approve)),
      decide(b, decision(rb, APPROVER_2, DecisionAction.Approve)),
    ]);
    const states = await Promise.all([result(a), result(b)]);
    const won = states.filter((s) => s.status === 'completed');
    const lost = states.filter((s) => s.status === 'rejected');
    assert.equal(won.length, 1, JSON.stringify(states.map((s) => [s.status, s.reason])));
    assert.equal(lost.length, 1);
    assert.match(lost[0].reason ?? '', /not refunded: everything paid on INV-1002 \(USD 450\.00\) has already been refunded/);
    const receipts = await records('RefundReceipt', 'INV-1002');
    assert.deepEqual(
      receipts.map((r) => r.TotalAmt),
      [450],
      'one RefundReceipt, not two',
    );
    assert.match(await publicNotes(), /the payment has already been refunded/, 'the losing case tells the customer on its ticket');
    const loser = lost[0] === states[0] ? a : b;
    assert.match(await slackText(loser), /Not refunded: everything paid on INV-1002/, 'and finance in the Slack thread');
  });

  it('two partial refunds that together stay within what was paid both go through; a third that would exceed it is refused', async () => {
    const a = await start(refund({ amount: { amountMinor: 20000, currency: 'USD' } }));
    const b = await start(refund({ amount: { amountMinor: 25000, currency: 'USD' } }));
    const [ra, rb] = await Promise.all([waitForRequest(a), waitForRequest(b)]);
    await Promise.all([
      decide(a, decision(ra, APPROVER_1, DecisionAction.Approve)),
      decide(b, decision(rb, APPROVER_1, DecisionAction.Approve)),
    ]);
    const both = await Promise.all([result(a), result(b)]);
    assert.deepEqual(
      both.map((s) => s.status),
      ['completed', 'completed'],
      JSON.stringify(both.map((s) => s.reason)),
    );
    const c = await start(refund({ amount: { amountMinor: 10000, currency: 'USD' } }));
    // The earlier refunds are visible before the wait: the approver is told, and nothing automates.
    const rc = await waitForRequest(c);
    await decide(c, decision(rc, APPROVER_2, DecisionAction.Approve));
    const sc = await result(c);
    assert.equal(sc.status, 'rejected');
    assert.match(sc.reason ?? '', /already been refunded/);
    assert.deepEqual((await records('RefundReceipt', 'INV-1002')).map((r) => r.TotalAmt).sort(), [200, 250]);
  });

  it('a refund case and an accepted dispute on the same invoice: one refund', async () => {
    const r = await start(refund({}));
    const d = await start(
      caseInput('charge_dispute', {
        accountId: 'ACME-001',
        invoiceNumber: 'INV-1002',
        amount: { amountMinor: 45000, currency: 'USD' },
        disputeReason: 'duplicate',
      }),
    );
    const [rr, rd] = await Promise.all([waitForRequest(r), waitForRequest(d)]);
    await Promise.all([
      decide(d, decision(rd, APPROVER_1, DecisionAction.Accept)),
      decide(r, decision(rr, APPROVER_2, DecisionAction.Approve)),
    ]);
    const states = await Promise.all([result(r), result(d)]);
    assert.deepEqual(states.map((s) => s.status).sort(), ['completed', 'rejected'], JSON.stringify(states.map((s) => s.reason)));
    assert.equal((await records('RefundReceipt', 'INV-1002')).length, 1);
  });

  it("a refund on another customer's invoice is flagged to the approver, and approving it moves no money", async () => {
    const h = await start(refund({ invoiceNumber: 'INV-2001', amount: { amountMinor: 10000, currency: 'USD' } }));
    const requestId = await waitForRequest(h);
    const posted = JSON.stringify(await sb.records('slack', (r) => r.path.endsWith('/chat.postMessage')));
    assert.match(posted, /invoice INV-2001 belongs to ANOTHER customer than account ACME-001/);
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    const s = await result(h);
    assert.equal(s.status, 'rejected');
    assert.match(s.reason ?? '', /invoice INV-2001 belongs to another customer/);
    assert.equal((await records('RefundReceipt', 'INV-2001')).length, 0);
  });

  it('an approver removed from the configuration between the approval and the payment: no money moves, and that is the reason', async () => {
    // An invoice that took the amount, so the amount rule holds and only the approval rule can refuse.
    await seedPaidInvoice(sb.url, { docNumber: 'INV-REMOVED', accountId: 'ACME-001', totalMinor: 90000 });
    const h = await start(
      refund({ amount: { amountMinor: 90000, currency: 'USD' }, invoiceNumber: 'INV-REMOVED', refundReason: 'customer_request' }),
    );
    const requestId = await waitForRequest(h);
    // QuickBooks is briefly unavailable when the money path starts, so the reservation is retried
    // (5 s later): the approver is removed from the worker's configuration in between.
    await sb.faults('quickbooks', { failNext: 1 });
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    policy.set({ approvers: [APPROVER_2] });
    const s = await result(h);
    assert.equal(s.status, 'rejected');
    assert.match(s.reason ?? '', /1 required approval\(s\)|0 of 1 required approval/, s.reason);
    assert.equal((await records('RefundReceipt', 'INV-REMOVED')).length, 0);
  });

  it('JPY (0 decimals) and KWD (3 decimals): the QuickBooks amount, the Slack text and the thresholds are in the currency own units', async () => {
    // 5000 JPY is at the JPY automation limit: automated; QuickBooks receives 5000, not 50.00.
    // INV-6001 was paid by no QuickBooks Payments charge: finance confirms the money returned first.
    const jpy = await start(refund({ accountId: 'SAKURA-006', invoiceNumber: 'INV-6001', amount: { amountMinor: 5000, currency: 'JPY' } }));
    await confirmMoneyReturned(jpy);
    const sj = await result(jpy);
    assert.equal(sj.status, 'completed', sj.reason);
    const rj = await records('RefundReceipt', 'INV-6001');
    assert.deepEqual(
      rj.map((r) => [r.TotalAmt, r.Line[0].Amount, r.CurrencyRef?.value]),
      [[5000, 5000, 'JPY']],
    );
    assert.match(await publicNotes(), /JPY 5,000/);
    assert.doesNotMatch(await publicNotes(), /JPY 50\.00/);

    // 4.999 KWD: KWD has no automation limit configured, so a person decides; Slack shows KWD 4.999.
    const kwd = await start(refund({ accountId: 'GULF-007', invoiceNumber: 'INV-7001', amount: { amountMinor: 4999, currency: 'KWD' } }));
    const rk = await waitForRequest(kwd);
    const pending = (await kwd.query(statusQuery)).pendingApproval;
    assert.equal(pending?.required, 2, 'no KWD two-person threshold configured: two approvers');
    assert.match(JSON.stringify(await sb.records('slack', (r) => r.path.endsWith('/chat.postMessage'))), /KWD 4\.999/);
    await decide(kwd, decision(rk, APPROVER_1, DecisionAction.Approve));
    await decide(kwd, decision(rk, APPROVER_2, DecisionAction.Approve));
    await confirmMoneyReturned(kwd);
    assert.equal((await result(kwd)).status, 'completed');
    assert.deepEqual(
      (await records('RefundReceipt', 'INV-7001')).map((r) => [r.TotalAmt, r.CurrencyRef?.value]),
      [[4.999, 'KWD']],
    );
  });

  it('a refund in a currency that is not the customer billing currency goes to review and is never recorded in it', async () => {
    const h = await start(refund({ amount: { amountMinor: 2500, currency: 'JPY' } }));
    const requestId = await waitForRequest(h);
    assert.match(
      JSON.stringify(await sb.records('slack', (r) => r.path.endsWith('/chat.postMessage'))),
      /Not in the currency the customer is billed in/,
    );
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    assert.equal((await result(h)).status, 'rejected');
    assert.equal((await records('RefundReceipt', 'INV-1002')).length, 0);
  });

  it('an approved send of an invoice to an address not on file is delivered, once', async () => {
    const h = await start(
      caseInput('invoice_resend', { accountId: 'ACME-001', invoiceNumber: 'INV-1001', customerEmail: 'cfo@acme-holding.example' }),
    );
    const requestId = await waitForRequest(h);
    await decide(h, decision(requestId, APPROVER_1, DecisionAction.Approve));
    const s: CaseState = await result(h);
    assert.equal(s.status, 'completed', s.reason);
    const outbox = (await sb.control('/quickbooks/outbox')) as { sendTo?: string; to?: string }[];
    assert.equal(outbox.length, 1);
    assert.match(JSON.stringify(outbox[0]), /cfo@acme-holding\.example/);
  });

  it('a cancelled case removes its Slack buttons and says cancelled in visibility', async () => {
    const h = await start(refund({}));
    await waitForRequest(h);
    await h.cancel();
    await assert.rejects(h.result());
    const updates = await sb.records('slack', (r) => r.path.endsWith('/chat.update'));
    const last = JSON.stringify(updates.at(-1)?.body ?? {});
    assert.doesNotMatch(last, /"type":"button"/);
    assert.match(last, /Cancelled/);
    const desc = await h.describe();
    assert.equal(desc.typedSearchAttributes.get(CaseStatusKey), 'cancelled');
    assert.equal(desc.typedSearchAttributes.get(WaitingOnKey), undefined);
  });
});
