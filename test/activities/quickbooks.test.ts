import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from '../connectors/helpers';
import { activitiesOver, runOnce, runWithRetries } from './helpers';
import type { QboCustomer } from '../../src/connectors/quickbooks';
import { signDecision } from '../../src/proofs/decision-proof';
import { TEST_DECISION_KEY } from '../support/policy';

describe('QuickBooks activities', () => {
  let sb: TestSandbox;
  let acts: ReturnType<typeof activitiesOver>;
  before(async () => {
    sb = await startSandbox();
    acts = activitiesOver(sb.clients);
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('finds invoices, customers by account id, open balances and payments in minor units', async () => {
    const inv = await runOnce(acts.findInvoice, { invoiceNumber: 'INV-1001' });
    assert.deepEqual(
      { id: inv?.id, customerId: inv?.customerId, balance: inv?.balance, billEmail: inv?.billEmail },
      { id: '1001', customerId: '101', balance: { amountMinor: 12000, currency: 'USD' }, billEmail: 'billing@acme.example' },
    );
    assert.equal(await runOnce(acts.findInvoice, { invoiceNumber: 'INV-404' }), null);
    const cust = await runOnce(acts.getCustomer, { accountId: 'GLOBEX-002' });
    assert.equal(cust?.id, '102');
    assert.equal(cust?.accountId, 'GLOBEX-002');
    assert.equal(await runOnce(acts.getCustomer, { accountId: 'NOBODY-000' }), null);
    const open = await runOnce(acts.getOpenBalance, { customerId: '101' });
    assert.deepEqual(open.total, { amountMinor: 12000, currency: 'USD' });
    assert.deepEqual(
      open.openInvoices.map((i) => i.docNumber),
      ['INV-1001'],
    );
    const pay = await runOnce(acts.findPayment, { invoiceId: '1002' });
    assert.deepEqual(
      { id: pay?.id, amount: pay?.amount, invoiceIds: pay?.invoiceIds },
      { id: '3001', amount: { amountMinor: 45000, currency: 'USD' }, invoiceIds: ['1002'] },
    );
    await rejectsWithType(runOnce(acts.getCustomer, {}), 'ValidationError');
  });

  const approval = (workflowId: string, requestId: string, ...actors: string[]) => ({
    kind: 'approval' as const,
    requestId,
    countingAction: 'approve' as const,
    escalated: false,
    votes: actors.map((id) => {
      const signed = signDecision(TEST_DECISION_KEY, workflowId, { requestId, action: 'approve', actor: { id }, source: 'slack' });
      return { actor: signed.actor, action: signed.action, at: '2026-12-01T00:00:00Z', source: signed.source, proof: signed.proof! };
    }),
  });

  it('moves money exactly once when the first response is lost: the record is found by its ledger ref, and the ledger shows it', async () => {
    await sb.faults('quickbooks', { dropNext: 1 });
    const input = {
      step: 'refund.record',
      kind: 'refund_receipt' as const,
      customerId: '101',
      amount: { amountMinor: 2500, currency: 'USD' },
      invoiceNumber: 'INV-1002',
      privateNote: 'Refund approved',
      authority: approval('wf-refund-1', 'req-1', 'U0FIN0001'),
    };
    const { result } = await runWithRetries(acts.moveMoney, input, 'wf-refund-1');
    assert.equal(result.status, 'moved');
    assert.equal((await sb.records('quickbooks', (r) => r.method === 'POST' && r.path.endsWith('/refundreceipt'))).length, 1, 'one write');
    const record = result.status === 'moved' ? result.record : undefined;
    assert.equal(record?.object, 'RefundReceipt');
    assert.deepEqual(record?.amount, { amountMinor: 2500, currency: 'USD' });
    const receipts = (await sb.control('/quickbooks/entities/RefundReceipt')) as {
      Id: string;
      DepositToAccountRef: { value: string };
      PrivateNote: string;
      DocNumber: string;
    }[];
    assert.equal(receipts.length, 1);
    assert.equal(receipts[0].Id, record?.id);
    assert.equal(receipts[0].DepositToAccountRef.value, '35');
    const [entry] = await acts.ledger.entries(sb.clients.quickbooks.realmId);
    assert.equal(receipts[0].DocNumber, entry.ref, 'the record names its ledger entry in a structured field');
    assert.deepEqual([entry.state, entry.invoiceId, entry.recordId], ['settled', '1002', receipts[0].Id]);
    // A third attempt (a retry long after QuickBooks forgot the requestid) still writes nothing new.
    const again = await runOnce(acts.moveMoney, input, 'wf-refund-1');
    assert.equal(again.status === 'moved' && again.reused, true);
    assert.equal(((await sb.control('/quickbooks/entities/RefundReceipt')) as unknown[]).length, 1);
    const ledger = await runOnce(acts.invoiceLedger, { customerId: '101', invoiceNumber: 'INV-1002' });
    assert.equal(ledger.refundedMinor, 2500);
    assert.equal(
      (await runOnce(acts.invoiceLedger, { customerId: '101', invoiceNumber: 'INV-100' })).refundedMinor,
      0,
      'INV-100 is not INV-1002',
    );
  });

  it('refuses to move money on a vote whose proof does not verify, and on a vote by someone who is not an approver', async () => {
    const input = {
      step: 'refund.record',
      kind: 'refund_receipt' as const,
      customerId: '101',
      amount: { amountMinor: 2500, currency: 'USD' },
      invoiceNumber: 'INV-1002',
      privateNote: 'n',
    };
    const forged = approval('wf-other-case', 'req-1', 'U0FIN0001'); // signed for another case
    const r1 = await runOnce(acts.moveMoney, { ...input, authority: forged }, 'wf-refund-2');
    assert.equal(r1.status === 'refused' && r1.code, 'approvals_insufficient');
    const unsigned = {
      ...approval('wf-refund-2', 'req-1', 'U0FIN0001'),
      votes: [{ actor: { id: 'U0FIN0001' }, action: 'approve' as const, at: 'x', source: 'slack' as const }],
    };
    assert.equal((await runOnce(acts.moveMoney, { ...input, authority: unsigned }, 'wf-refund-2')).status, 'refused');
    const outsider = approval('wf-refund-2', 'req-1', 'U0AGT0001');
    assert.equal((await runOnce(acts.moveMoney, { ...input, authority: outsider }, 'wf-refund-2')).status, 'refused');
    assert.equal(((await sb.control('/quickbooks/entities/RefundReceipt')) as unknown[]).length, 0);
  });

  it("records a credit memo for a credit request; a bad amount is an error, a currency that is not the customer's is refused", async () => {
    const base = { kind: 'credit_memo' as const, customerId: '103', invoiceNumber: 'INV-3001', privateNote: 'note' };
    // INV-3001 is unpaid: a credit needs something paid to credit against, so give it a paid invoice.
    const r = await runOnce(acts.moveMoney, {
      ...base,
      step: 'credit',
      invoiceNumber: undefined,
      amount: { amountMinor: 10000, currency: 'USD' },
      authority: approval('wf-test', 'req-c', 'U0FIN0001'),
    });
    assert.equal(r.status === 'moved' && r.record.object, 'CreditMemo');
    await rejectsWithType(
      runOnce(acts.moveMoney, {
        ...base,
        step: 's',
        amount: { amountMinor: -5, currency: 'USD' },
        authority: approval('wf-test', 'req-c', 'U0FIN0001'),
      }),
      'ValidationError',
    );
    const eur = await runOnce(acts.moveMoney, {
      ...base,
      step: 's2',
      invoiceNumber: undefined,
      amount: { amountMinor: 5, currency: 'EUR' },
      authority: approval('wf-test', 'req-c', 'U0FIN0001'),
    });
    assert.equal(eur.status === 'refused' && eur.code, 'currency_mismatch');
  });

  it('sends an invoice to an address not on file only with a verified approval of an approver', async () => {
    const off = { step: 'send-off', invoiceId: '1001', to: 'someone@else.example' };
    const req = approval('wf-send-off', 'req-r', 'U0FIN0001');
    const forged = { requestId: 'req-r', escalated: false, votes: [{ ...req.votes[0], proof: { ...req.votes[0].proof, mac: 'AAAA' } }] };
    await rejectsWithType(runOnce(acts.sendInvoice, { ...off, approval: forged }, 'wf-send-off'), 'UnverifiedRecipientError');
    await rejectsWithType(
      runOnce(
        acts.sendInvoice,
        { ...off, approval: { requestId: 'req-r', escalated: false, votes: approval('wf-send-off', 'req-r', 'U0AGT0001').votes } },
        'wf-send-off',
      ),
      'UnverifiedRecipientError',
    );
    assert.equal(((await sb.control('/quickbooks/outbox')) as unknown[]).length, 0);
    const sent = await runOnce(
      acts.sendInvoice,
      { ...off, approval: { requestId: 'req-r', escalated: false, votes: req.votes } },
      'wf-send-off',
    );
    assert.equal(sent.sentTo, 'approved');
    assert.equal(((await sb.control('/quickbooks/outbox')) as unknown[]).length, 1);
  });

  it('sends an invoice only to an email on file, once even when retried', async () => {
    await rejectsWithType(
      runOnce(acts.sendInvoice, { step: 'send', invoiceId: '1001', to: 'someone@else.example' }),
      'UnverifiedRecipientError',
    );
    assert.equal(((await sb.control('/quickbooks/outbox')) as unknown[]).length, 0);
    await sb.faults('quickbooks', { dropNext: 1 });
    const { result } = await runWithRetries(acts.sendInvoice, { step: 'send', invoiceId: '1001', to: 'Billing@Acme.example' }, 'wf-send-1');
    assert.equal(result.sentTo, 'on_file');
    assert.equal(((await sb.control('/quickbooks/outbox')) as unknown[]).length, 1);
  });

  it('sends a receipt for a payment to the customer on file', async () => {
    await runOnce(acts.sendReceipt, { step: 'receipt', paymentId: '3001', to: 'billing@acme.example' });
    const outbox = (await sb.control('/quickbooks/outbox')) as { entity: string; id: string }[];
    assert.deepEqual(
      outbox.map((o) => [o.entity, o.id]),
      [['Payment', '3001']],
    );
  });

  it('updates the billing address sparsely; a retry after a lost response writes nothing more; stale SyncToken retries', async () => {
    const address = { line1: '500 Howard St', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' };
    await sb.faults('quickbooks', { dropNext: 1 });
    const { result, attempts } = await runWithRetries(
      acts.updateBillingAddress,
      { step: 'address', customerId: '101', address },
      'wf-addr-1',
    );
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
    await rejectsWithType(
      runOnce(acts.updateBillingAddress, { step: 'a', customerId: '101', address: { ...address, line1: '' } }),
      'ValidationError',
    );
  });
});
