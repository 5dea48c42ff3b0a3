/**
 * The ledger's transitions on the run's real PostgreSQL, as they are written since issue 21 cut
 * their round trips: each transition writes its entry row and its `ledger_events` line in one
 * statement, the customer's lock takes one round trip once the customer has a row, and a final
 * QuickBooks Payments refund is recorded and settled in one transaction. What must hold: one event
 * per transition, in order; nothing of a transaction that was refused; racing reservations still
 * serialized on the customer, whether or not its row exists yet.
 */
import assert from 'node:assert/strict';
import { Client as PgClient } from 'pg';
import type { Ledger } from '../../src/ledger/store';
import { LedgerConflictError, type ReserveRequest } from '../../src/ledger/entries';
import { newTestLedger, testLedgerUrl } from '../support/ledger';

const refund = (over: Partial<ReserveRequest>): ReserveRequest => ({
  key: 'case-a/refund.record',
  realm: 'R',
  customerId: '101',
  invoiceId: '1002',
  invoiceDoc: 'INV-1002',
  caseId: 'case-a',
  step: 'refund.record',
  kind: 'refund_receipt',
  route: 'qb_payments',
  chargeId: 'CH1',
  currency: 'USD',
  amountMinor: 45000,
  refundableMinor: 45000,
  windowMs: 86_400_000,
  ...over,
});
const allow = () => null;

async function eventsOf(ledger: Ledger, key: string): Promise<{ event: string; state: string; settled_minor: string }[]> {
  const pg = new PgClient({ connectionString: testLedgerUrl() });
  await pg.connect();
  try {
    return (await pg.query(`SELECT event, state, settled_minor FROM ${ledger.schema}.ledger_events WHERE key = $1 ORDER BY id`, [key]))
      .rows;
  } finally {
    await pg.end();
  }
}

describe('the ledger: each transition and its event, in one statement', () => {
  it('reserve, a final card refund (recorded and settled in one transaction), then the record: one event each, in order', async () => {
    const ledger = newTestLedger();
    const r = await ledger.reserve(refund({}), allow);
    assert.equal(r.status, 'reserved');
    const settled = await ledger.paymentsRefundSettled(
      'case-a/refund.record',
      { refundId: 'RF1', status: 'ISSUED' },
      { settledMinor: 45000, evidence: 'refund RF1 ISSUED' },
    );
    assert.equal(settled.state, 'settled');
    assert.equal(settled.refundId, 'RF1');
    assert.equal(settled.refundStatus, 'ISSUED');
    assert.equal(settled.settledMinor, 45000);
    const recorded = await ledger.attachRecord('case-a/refund.record', { entity: 'RefundReceipt', id: '77' });
    assert.equal(recorded.recordId, '77');
    assert.deepEqual(
      (await eventsOf(ledger, 'case-a/refund.record')).map((e) => `${e.event}:${e.state}:${e.settled_minor}`),
      ['reserve:pending:0', 'payments-refund:pending:0', 'settle:settled:45000', 'record:settled:45000'],
    );
    // The same answers again (a retried step): nothing changes, nothing is appended.
    await ledger.paymentsRefundSettled(
      'case-a/refund.record',
      { refundId: 'RF1', status: 'ISSUED' },
      { settledMinor: 45000, evidence: 'again' },
    );
    await ledger.attachRecord('case-a/refund.record', { entity: 'RefundReceipt', id: '77' });
    assert.equal((await eventsOf(ledger, 'case-a/refund.record')).length, 4);
  });

  it('a refused settlement leaves nothing of its transaction: another refund id, or a released entry', async () => {
    const ledger = newTestLedger();
    await ledger.reserve(refund({}), allow);
    await ledger.paymentsRefundSettled(
      'case-a/refund.record',
      { refundId: 'RF1', status: 'ISSUED' },
      { settledMinor: 45000, evidence: 'x' },
    );
    await assert.rejects(
      ledger.paymentsRefundSettled('case-a/refund.record', { refundId: 'RF2', status: 'ISSUED' }, { settledMinor: 45000, evidence: 'y' }),
      LedgerConflictError,
    );
    assert.equal((await ledger.get('case-a/refund.record'))?.refundId, 'RF1');

    await ledger.reserve(
      refund({ key: 'case-b/refund.record', caseId: 'case-b', invoiceId: '1003', refundableMinor: 1000, amountMinor: 1000 }),
      allow,
    );
    await ledger.release('case-b/refund.record', 'declined');
    await assert.rejects(
      ledger.paymentsRefundSettled('case-b/refund.record', { refundId: 'RF3', status: 'ISSUED' }, { settledMinor: 1000, evidence: 'z' }),
      LedgerConflictError,
    );
    const b = await ledger.get('case-b/refund.record');
    assert.equal(b?.state, 'released');
    assert.equal(b?.refundId ?? null, null, "the refused transaction's refund id was rolled back with it");
    assert.deepEqual(
      (await eventsOf(ledger, 'case-b/refund.record')).map((e) => e.event),
      ['reserve', 'release'],
    );
  });

  it("racing reservations of a whole invoice are serialized on the customer, before and after the customer's row exists", async () => {
    const ledger = newTestLedger();
    for (const wave of ['new customer', 'known customer']) {
      const invoiceId = wave === 'new customer' ? '5001' : '5002';
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          ledger.reserve(
            refund({ key: `${wave}-${i}/refund.record`, caseId: `${wave}-${i}`, customerId: '909', invoiceId, route: 'quickbooks' }),
            allow,
          ),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'reserved').length, 1, `${wave}: one of eight takes the invoice`);
      assert.ok(results.filter((r) => r.status === 'refused').every((r) => r.status === 'refused' && r.code === 'already_refunded'));
    }
  });

  it('the sums of an invoice and of its customer in one query: without an invoice, the invoice sums are 0', async () => {
    const ledger = newTestLedger();
    await ledger.reserve(refund({ route: 'quickbooks', amountMinor: 1000 }), allow);
    await ledger.reserve(
      refund({
        key: 'c2/refund.record',
        caseId: 'c2',
        invoiceId: null,
        invoiceDoc: null,
        refundableMinor: null,
        amountMinor: 300,
        route: 'quickbooks',
      }),
      allow,
    );
    const withInvoice = await ledger.totals({ realm: 'R', customerId: '101', invoiceId: '1002', currency: 'USD', windowMs: 86_400_000 });
    assert.equal(withInvoice.invoiceCommittedMinor, 1000);
    assert.equal(withInvoice.invoiceWindowCount, 1);
    assert.equal(withInvoice.customerWindowMinor, 1300);
    assert.equal(withInvoice.customerWindowCount, 2);
    const without = await ledger.totals({ realm: 'R', customerId: '101', invoiceId: null, currency: 'USD', windowMs: 86_400_000 });
    assert.equal(without.invoiceCommittedMinor, 0);
    assert.equal(without.invoiceWindowCount, 0);
    assert.equal(without.customerWindowMinor, 1300);
    // An empty invoice id is no invoice either (outside review: it matched other customers' entries without one).
    const empty = await ledger.totals({ realm: 'R', customerId: '555', invoiceId: '', currency: 'USD', windowMs: 86_400_000 });
    assert.equal(empty.invoiceCommittedMinor, 0);
    assert.equal(empty.invoiceWindowCount, 0);
  });
});
