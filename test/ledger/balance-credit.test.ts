/**
 * The ledger's bound for credits against an invoice's unpaid balance (`balance_credit`), on the
 * run's real PostgreSQL: its own bound (settled + pending balance credits + this <= what is open),
 * atomic under the customer's row lock against racing reservations, next to the paid bound of
 * refunds; and the upgrade of a ledger table made before balance credits existed.
 */
import assert from 'node:assert/strict';
import { Client as PgClient } from 'pg';
import type { ReserveRequest } from '../../src/ledger/entries';
import { newLedgerSchema, newTestLedger, testLedgerUrl } from '../support/ledger';

const base = (over: Partial<ReserveRequest>): ReserveRequest => ({
  key: `case-${Math.random()}/dispute.credit.record`,
  realm: 'R',
  customerId: '102',
  invoiceId: '2001',
  invoiceDoc: 'INV-2001',
  caseId: 'case',
  step: 'dispute.credit.record',
  kind: 'balance_credit',
  route: 'quickbooks',
  currency: 'USD',
  amountMinor: 240000,
  refundableMinor: null,
  openBalanceMinor: 240000,
  windowMs: 86_400_000,
  ...over,
});
const allow = () => null;

describe('the ledger: credits against the unpaid balance have their own bound', () => {
  it('ten racing credits of the whole open balance: exactly one is reserved', async () => {
    const ledger = newTestLedger();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ledger.reserve(base({ key: `c${i}/dispute.credit.record`, caseId: `c${i}` }), allow)),
    );
    assert.equal(results.filter((r) => r.status === 'reserved').length, 1);
    const refused = results.filter((r) => r.status === 'refused');
    assert.ok(refused.every((r) => r.status === 'refused' && r.code === 'balance_already_credited'));
  });

  it('a settled (applied) credit is out of the QuickBooks balance already: the bound counts it once, not twice', async () => {
    const ledger = newTestLedger();
    const a = await ledger.reserve(base({ key: 'a/dispute.credit.record', amountMinor: 100000 }), allow);
    assert.equal(a.status, 'reserved');
    await ledger.settle('a/dispute.credit.record', {
      settledMinor: 100000,
      evidence: 'applied',
      record: { entity: 'CreditMemo', id: '1' },
    });
    // QuickBooks now shows 1,400.00 open: the next 1,400.00 fits, 1,400.01 does not.
    const over = await ledger.reserve(base({ key: 'b/dispute.credit.record', amountMinor: 140001, openBalanceMinor: 140000 }), allow);
    assert.equal(over.status === 'refused' && over.code, 'exceeds_open_balance');
    const fits = await ledger.reserve(base({ key: 'c/dispute.credit.record', amountMinor: 140000, openBalanceMinor: 140000 }), allow);
    assert.equal(fits.status, 'reserved');
    assert.equal(fits.status === 'reserved' && fits.entry.openBalanceMinor, 240000, 'the bound it was checked against, recorded with it');
  });

  it('balance credits count against the paid bound of refunds (an applied credit shows in QuickBooks as paid)', async () => {
    const ledger = newTestLedger();
    await ledger.reserve(base({ key: 'a/dispute.credit.record', amountMinor: 140000, openBalanceMinor: 140000 }), allow);
    // Part-paid 2,400.00 invoice: 1,000.00 paid, 1,400.00 credited (QuickBooks: total - balance = 2,400.00).
    const refund = (key: string, amountMinor: number) =>
      ledger.reserve(
        base({ key, kind: 'refund_receipt', step: 'dispute.refund.record', amountMinor, refundableMinor: 240000, openBalanceMinor: null }),
        allow,
      );
    assert.equal((await refund('a/dispute.refund.record', 100000)).status, 'reserved');
    const again = await refund('b/refund.record', 1);
    assert.equal(again.status === 'refused' && again.code, 'already_refunded');
  });

  it('a ledger table made before balance credits is upgraded at start: the kind check and the column, old entries kept', async () => {
    const schema = newLedgerSchema();
    const c = new PgClient({ connectionString: testLedgerUrl() });
    await c.connect();
    try {
      // The table as the ledger created it before issue 24 (the columns this test needs, the old kind check).
      await c.query(`CREATE SCHEMA ${schema};
        CREATE TABLE ${schema}.ledger_entries (
          key text PRIMARY KEY, ref text NOT NULL UNIQUE, realm text NOT NULL, customer_id text NOT NULL,
          invoice_id text, invoice_doc text, case_id text NOT NULL, step text NOT NULL,
          kind text NOT NULL CHECK (kind IN ('refund_receipt', 'credit_memo')),
          route text NOT NULL CHECK (route IN ('quickbooks', 'skyfire')), currency text NOT NULL,
          amount_minor bigint NOT NULL CHECK (amount_minor > 0), refundable_minor bigint,
          state text NOT NULL CHECK (state IN ('pending', 'settled', 'released')),
          settled_minor bigint NOT NULL DEFAULT 0 CHECK (settled_minor >= 0 AND settled_minor <= amount_minor),
          token_stage text NOT NULL DEFAULT 'none' CHECK (token_stage IN ('none', 'creating', 'created')),
          token_attempt integer NOT NULL DEFAULT 0, pay_token_id text, charge_deadline timestamptz,
          record_entity text, record_id text, evidence text,
          created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO ${schema}.ledger_entries (key, ref, realm, customer_id, invoice_id, case_id, step, kind, route, currency, amount_minor, refundable_minor, state)
          VALUES ('old/refund.record', 'Lold', 'R', '101', '1002', 'old', 'refund.record', 'refund_receipt', 'quickbooks', 'USD', 45000, 45000, 'pending');`);
      await assert.rejects(
        c.query(
          `INSERT INTO ${schema}.ledger_entries (key, ref, realm, customer_id, case_id, step, kind, route, currency, amount_minor, state) VALUES ('x','x','R','1','x','x','balance_credit','quickbooks','USD',1,'pending')`,
        ),
        /ledger_entries_kind_check/,
        'the old table refuses the new kind',
      );
      const ledger = newTestLedger(schema);
      await ledger.migrate();
      const old = await ledger.get('old/refund.record');
      assert.equal(old?.amountMinor, 45000);
      assert.equal(old?.openBalanceMinor, null);
      const r = await ledger.reserve(base({ key: 'new/dispute.credit.record' }), allow);
      assert.equal(r.status, 'reserved', JSON.stringify(r));
      // Migrating again (another worker starting) changes nothing.
      await newTestLedger(schema).migrate();
      assert.equal((await ledger.entries('R')).length, 2);
    } finally {
      await c.end();
    }
  });
});
