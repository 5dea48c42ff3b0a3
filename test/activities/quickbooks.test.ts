import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from '../connectors/helpers';
import { runOnce, runWithRetries } from './helpers';
import { createActivities } from '../../src/activities';
import type { QboCustomer } from '../../src/connectors/quickbooks';

describe('QuickBooks activities', () => {
  let sb: TestSandbox;
  let acts: ReturnType<typeof createActivities>;
  before(async () => {
    sb = await startSandbox();
    acts = createActivities({ workerIdentity: 'test', connectors: sb.clients });
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('finds invoices, customers by account id, open balances and payments in minor units', async () => {
    const inv = await runOnce(acts.findInvoice, { invoiceNumber: 'INV-1001' });
    assert.deepEqual({ id: inv?.id, customerId: inv?.customerId, balance: inv?.balance, billEmail: inv?.billEmail }, { id: '1001', customerId: '101', balance: { amountMinor: 12000, currency: 'USD' }, billEmail: 'billing@acme.example' });
    assert.equal(await runOnce(acts.findInvoice, { invoiceNumber: 'INV-404' }), null);
    const cust = await runOnce(acts.getCustomer, { accountId: 'GLOBEX-002' });
    assert.equal(cust?.id, '102');
    assert.equal(cust?.accountId, 'GLOBEX-002');
    assert.equal(await runOnce(acts.getCustomer, { accountId: 'NOBODY-000' }), null);
    const open = await runOnce(acts.getOpenBalance, { customerId: '101' });
    assert.deepEqual(open.total, { amountMinor: 12000, currency: 'USD' });
    assert.deepEqual(open.openInvoices.map((i) => i.docNumber), ['INV-1001']);
    const pay = await runOnce(acts.findPayment, { invoiceId: '1002' });
    assert.deepEqual({ id: pay?.id, amount: pay?.amount, invoiceIds: pay?.invoiceIds }, { id: '3001', amount: { amountMinor: 45000, currency: 'USD' }, invoiceIds: ['1002'] });
    await rejectsWithType(runOnce(acts.getCustomer, {}), 'ValidationError');
  });

  it('records a refund exactly once when the first response is lost, and then finds it as an earlier refund', async () => {
    await sb.faults('quickbooks', { dropNext: 1 });
    const input = { step: 'refund.record', kind: 'refund_receipt' as const, customerId: '101', amount: { amountMinor: 2500, currency: 'USD' }, invoiceNumber: 'INV-1001', privateNote: 'Refund approved by U0FIN0001' };
    const { result, attempts } = await runWithRetries(acts.recordRefund, input, 'wf-refund-1');
    assert.equal(attempts, 2);
    assert.equal(result.object, 'RefundReceipt');
    assert.deepEqual(result.amount, { amountMinor: 2500, currency: 'USD' });
    const receipts = (await sb.control('/quickbooks/entities/RefundReceipt')) as { Id: string; DepositToAccountRef: { value: string } }[];
    assert.equal(receipts.length, 1);
    assert.equal(receipts[0].Id, result.id);
    assert.equal(receipts[0].DepositToAccountRef.value, '35');
    const earlier = await runOnce(acts.hasEarlierRefund, { customerId: '101', invoiceNumber: 'INV-1001' });
    assert.equal(earlier.found, true);
    assert.equal((await runOnce(acts.hasEarlierRefund, { customerId: '101', invoiceNumber: 'INV-1002' })).found, false);
  });

  it('records a credit memo for a credit request and rejects a bad amount', async () => {
    const r = await runOnce(acts.recordRefund, { step: 'credit', kind: 'credit_memo', customerId: '103', amount: { amountMinor: 10000, currency: 'USD' }, privateNote: 'note' });
    assert.equal(r.object, 'CreditMemo');
    await rejectsWithType(runOnce(acts.recordRefund, { step: 's', kind: 'credit_memo', customerId: '103', amount: { amountMinor: -5, currency: 'USD' }, privateNote: 'n' }), 'ValidationError');
    await rejectsWithType(runOnce(acts.recordRefund, { step: 's', kind: 'credit_memo', customerId: '103', amount: { amountMinor: 5, currency: 'EUR' }, privateNote: 'n' }), 'ValidationError');
  });

  it('sends an invoice only to an email on file, once even when retried', async () => {
    await rejectsWithType(runOnce(acts.sendInvoice, { step: 'send', invoiceId: '1001', to: 'someone@else.example' }), 'UnverifiedRecipientError');
    assert.equal(((await sb.control('/quickbooks/outbox')) as unknown[]).length, 0);
    await sb.faults('quickbooks', { dropNext: 1 });
    const { result } = await runWithRetries(acts.sendInvoice, { step: 'send', invoiceId: '1001', to: 'Billing@Acme.example' }, 'wf-send-1');
    assert.equal(result.sentTo, 'on_file');
    assert.equal(((await sb.control('/quickbooks/outbox')) as unknown[]).length, 1);
  });

  it('sends a receipt for a payment to the customer on file', async () => {
    await runOnce(acts.sendReceipt, { step: 'receipt', paymentId: '3001', to: 'billing@acme.example' });
    const outbox = (await sb.control('/quickbooks/outbox')) as { entity: string; id: string }[];
    assert.deepEqual(outbox.map((o) => [o.entity, o.id]), [['Payment', '3001']]);
  });

  it('updates the billing address sparsely; a retry after a lost response writes nothing more; stale SyncToken retries', async () => {
    const address = { line1: '500 Howard St', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' };
    await sb.faults('quickbooks', { dropNext: 1 });
    const { result, attempts } = await runWithRetries(acts.updateBillingAddress, { step: 'address', customerId: '101', address }, 'wf-addr-1');
    assert.equal(attempts, 2);
    assert.equal((await sb.records('quickbooks', (r) => r.method === 'POST' && r.path.endsWith('/customer'))).length, 1);
    const c = (await sb.control('/quickbooks/entities/Customer')) as QboCustomer[];
    assert.equal(c.find((x) => x.Id === '101')?.BillAddr?.Line1, '500 Howard St');
    assert.equal(result.syncToken, c.find((x) => x.Id === '101')?.SyncToken);
    // Someone edits between our read and write: 5010 is retryable, and the next attempt re-reads.
    let touched = false;
    const orig = sb.clients.quickbooks.sparseUpdateCustomer.bind(sb.clients.quickbooks);
    sb.clients.quickbooks.sparseUpdateCustomer = async (...args) => {
      if (!touched) {
        touched = true;
        await sb.control('/quickbooks/customer/102/touch', {});
      }
      return orig(...args);
    };
    try {
      const r2 = await runWithRetries(acts.updateBillingAddress, { step: 'address', customerId: '102', address }, 'wf-addr-2');
      assert.equal(r2.attempts, 2);
      assert.equal((await sb.records('quickbooks', (r) => r.status === 400 && r.path.endsWith('/customer'))).length, 1);
    } finally {
      sb.clients.quickbooks.sparseUpdateCustomer = orig;
    }
    await rejectsWithType(runOnce(acts.updateBillingAddress, { step: 'a', customerId: '101', address: { ...address, line1: '' } }), 'ValidationError');
  });
});
