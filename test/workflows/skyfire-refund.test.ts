/**
 * Issue 15 item 2, end to end in the sandbox as Skyfire behaves: a refund paid through Skyfire is
 * "issued" only after the seller service charged the pay token (money left the buyer wallet), seen
 * through Skyfire's documented token-charges read. A token nobody charges holds funds only until
 * its charge window ends; the case then needs attention, records nothing and tells the customer
 * nothing. Short token lifetime and charge grace so the windows close within the test.
 */
import { truncateTestLedger } from '../support/ledger';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WORKFLOW_TYPE, type CaseInput } from '../../src/domain/case';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { startServiceWorker, testClient } from '../support/temporal';
import { result, skyfireRefund, attested } from './helpers';

describe('refund paid through Skyfire: money moves only when the seller charges', function () {
  this.timeout(120_000);
  let sb: TestSandbox;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startServiceWorker>>;
  before(async () => {
    sb = await startSandbox({ SKYFIRE_PAY_TOKEN_TTL: '10s', SKYFIRE_CHARGE_GRACE: '2s', SKYFIRE_CHARGE_POLL_INTERVAL: '1s' });
    client = await testClient();
    worker = await startServiceWorker(sb.clients, { identity: 'skyfire-refund' });
  });
  beforeEach(async () => {
    await sb.reset();
    await truncateTestLedger(worker.ledger);
    await sb.control('/skyfire/settings', { chargeGraceSeconds: 2 });
  });
  after(async () => {
    await worker?.stop();
    await client?.connection.close();
    await sb?.close();
  });

  // Started as the intake starts cases: the facts attested (the worker verifies them with the test key).
  const start = (input: CaseInput, workflowId = `case-${input.caseType}-${randomUUID()}`): Promise<WorkflowHandle> =>
    client.workflow.start(WORKFLOW_TYPE[input.caseType], { args: [attested(input, workflowId)], taskQueue: worker.taskQueue, workflowId });
  const wallet = async () =>
    (await (
      await fetch(`${sb.url}/skyfire/api/v1/agents/balance`, { headers: { 'skyfire-api-key': 'sandbox-skyfire-buyer-key' } })
    ).json()) as { available: string; heldAmount: string };

  it('waits for a late charge, then records the refund and tells the customer', async () => {
    await sb.control('/skyfire/seller', { mode: 'charge', delayMs: 3000 });
    const h = await start(skyfireRefund());
    const s = await result(h);
    assert.equal(s.status, 'completed');
    const all = await sb.records('skyfire');
    const qbo = await sb.records('quickbooks', (r) => r.method === 'POST' && r.path.endsWith('/refundreceipt'));
    assert.equal(qbo.length, 1);
    const chargeReads = all.filter((r) => r.method === 'GET' && /\/api\/v1\/tokens\/[^/]+\/charges$/.test(r.path));
    assert.ok(chargeReads.length >= 2, `the case looked more than once while the seller took its time (${chargeReads.length})`);
    assert.ok(chargeReads.at(-1)!.seq < qbo[0].seq, 'the QuickBooks record comes after the charge was seen');
    const mails = await sb.records('gmail', (r) => r.method === 'POST');
    assert.ok(
      mails.length >= 1 && mails.every((m) => m.seq > chargeReads.at(-1)!.seq),
      'the customer hears of the refund only after the money moved',
    );
    assert.deepEqual(await wallet(), { available: '470.000000', heldAmount: '0.000000', pendingCharges: '0', pendingDeposits: '0' });
    assert.ok(s.records.some((r) => r.system === 'skyfire' && r.object === 'pay_token'));
  });

  it('a token nobody charges: needs attention once its charge window closes, no record, no "refund issued", hold released', async () => {
    await sb.control('/skyfire/seller', { mode: 'ignore' });
    const h = await start(skyfireRefund());
    const heldWhileWaiting =
      (await waitFor(async () => ((await wallet()).heldAmount === '30.000000' ? true : undefined))) && (await wallet());
    assert.equal(heldWhileWaiting && heldWhileWaiting.available, '470.000000', 'funds held, not moved, while the case waits');
    const s = await result(h);
    assert.equal(s.status, 'needs_attention');
    assert.match(s.reason ?? '', /was not charged by the seller service .*no money moved/);
    assert.equal(((await sb.control('/quickbooks/entities/RefundReceipt')) as unknown[]).length, 0);
    const mails = await sb.records('gmail', (r) => r.method === 'POST');
    assert.equal(mails.length, 0, 'the customer is not told a refund was issued');
    assert.deepEqual(
      await wallet(),
      { available: '500.000000', heldAmount: '0.000000', pendingCharges: '0', pendingDeposits: '0' },
      'nothing left the wallet',
    );
    const tokens = (await sb.control('/skyfire/tokens')) as { type: string }[];
    assert.equal(tokens.filter((t) => t.type === 'pay').length, 1);
  });

  it('a partial charge settles what was charged: the ledger and QuickBooks record USD 15.00 of 30.00, and the case needs attention saying so', async () => {
    await sb.control('/skyfire/seller', { mode: 'partial', delayMs: 0 });
    const h = await start(skyfireRefund());
    const s = await result(h);
    assert.equal(s.status, 'needs_attention');
    assert.match(s.reason ?? '', /charged USD 15\.00 of USD 30\.00/);
    const receipts = (await sb.control('/quickbooks/entities/RefundReceipt')) as { TotalAmt: number; DocNumber: string }[];
    assert.deepEqual(
      receipts.map((r) => r.TotalAmt),
      [15],
      'what moved is on the books, and only that',
    );
    const [entry] = await worker.ledger.entries(sb.clients.quickbooks.realmId);
    assert.equal(entry.state, 'settled');
    assert.equal(entry.settledMinor, 1500);
    assert.equal(entry.ref, receipts[0].DocNumber, 'the record carries the ledger entry as its DocNumber');
  });
});

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
