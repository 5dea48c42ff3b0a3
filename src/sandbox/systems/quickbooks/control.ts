/**
 * Control routes of the QuickBooks stand-in (under /_sandbox/quickbooks): what it "sent", its
 * entities, and what tests and the bench set up: many customers, paid invoices (paid twice, or by
 * card), someone else's edits.
 */
import { minorToAmount } from '../../support';
import { addPayment, chargeOn, time, type Json } from './seed';
import { QboBooks } from './state';
import express from 'express';
import { registerCreditControls } from './credits';

/** Control routes (under /_sandbox/quickbooks): the outbox, entities, and set-ups tests and the bench make. */
export function qboControlRouter(st: QboBooks): express.Router {
  const r = express.Router();
  r.use(express.json());
  r.get('/outbox', (_req, res) => res.json(st.outbox));
  registerCreditControls(r, st.credits);
  r.get('/entities/:entity', (req, res) => res.json([...(st.db.get(String(req.params.entity)) ?? new Map()).values()]));
  // Tests: a company with many customers (paging), each with an account id in Notes.
  r.post('/customers/bulk', (req, res) => {
    const count = Number((req.body as { count?: number }).count ?? 0);
    if (!Number.isInteger(count) || count < 1 || count > 20_000) return void res.status(400).json({ error: 'count must be 1..20000' });
    const customers = st.db.get('Customer')!;
    for (let n = 0; n < count; n++) {
      const Id = String(20_000 + customers.size);
      const stamp = '2026-01-05T10:00:00-08:00';
      customers.set(Id, {
        Id,
        SyncToken: '0',
        DisplayName: `Bulk Customer ${Id}`,
        Notes: `account_id:BULK-${Id}`,
        PrimaryEmailAddr: { Address: `ap+${Id}@bulk.example` },
        Balance: 0,
        Active: true,
        CurrencyRef: { value: 'USD', name: 'United States Dollar' },
        MetaData: { CreateTime: stamp, LastUpdatedTime: stamp },
      });
    }
    res.json({ customers: customers.size });
  });
  // Tests: someone edits a customer's Notes in the QuickBooks UI (LastUpdatedTime moves).
  r.post('/customer/:id/notes', (req, res) => {
    const row = st.db.get('Customer')!.get(req.params.id);
    if (!row) return void res.status(404).json({ error: 'no such customer' });
    row.Notes = String((req.body as { notes?: string }).notes ?? '');
    row.SyncToken = String(Number(row.SyncToken) + 1);
    (row.MetaData as Json).LastUpdatedTime = time();
    res.json(row);
  });
  // Benchmark and tests: a paid invoice (with its payment) for a seed customer, e.g. one per
  // automated refund of a load run, since money on one invoice is limited to what was paid.
  r.post('/invoices', (req, res) => {
    const b = (req.body ?? {}) as {
      docNumber?: string;
      customerId?: string;
      accountId?: string;
      totalMinor?: number;
      /** The invoice was paid twice (a second payment of its total): the evidence of a duplicate charge. */
      duplicatePayment?: boolean;
      /** The payment was a QuickBooks Payments charge (made first under /_sandbox/quickbooks-payments/charges). */
      ccTransId?: string;
    };
    const cust = b.accountId
      ? [...st.db.get('Customer')!.values()].find((c) => c.Notes === `account_id:${b.accountId}`)
      : st.db.get('Customer')!.get(String(b.customerId ?? ''));
    if (!b.docNumber || !cust || !Number.isInteger(b.totalMinor) || (b.totalMinor as number) <= 0)
      return void res
        .status(400)
        .json({ error: 'docNumber, a seed customerId (or accountId) and a positive integer totalMinor are required' });
    const cur = ((cust.CurrencyRef as Json | undefined)?.value as string | undefined) ?? 'USD';
    const Id = String(++st.nextId);
    const paymentId = String(++st.nextId);
    const amount = minorToAmount(b.totalMinor as number, cur);
    st.db.get('Invoice')!.set(Id, {
      Id,
      SyncToken: '0',
      DocNumber: b.docNumber,
      TxnDate: time().slice(0, 10),
      CustomerRef: { value: cust.Id, name: cust.DisplayName },
      Line: [
        {
          Id: '1',
          LineNum: 1,
          Amount: amount,
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' } },
        },
      ],
      TotalAmt: amount,
      Balance: 0,
      BillEmail: cust.PrimaryEmailAddr,
      CurrencyRef: cust.CurrencyRef,
      LinkedTxn: [{ TxnId: paymentId, TxnType: 'Payment' }],
      MetaData: { CreateTime: time(), LastUpdatedTime: time() },
    });
    st.db.get('Payment')!.set(paymentId, {
      Id: paymentId,
      SyncToken: '0',
      TxnDate: time().slice(0, 10),
      CustomerRef: { value: cust.Id, name: cust.DisplayName },
      TotalAmt: amount,
      UnappliedAmt: 0,
      Line: [{ Amount: amount, LinkedTxn: [{ TxnId: Id, TxnType: 'Invoice' }] }],
      CurrencyRef: cust.CurrencyRef,
      MetaData: { CreateTime: time(), LastUpdatedTime: time() },
    });
    if (b.ccTransId) chargeOn(st.db.get('Payment')!.get(paymentId)!, b.ccTransId);
    const duplicateId = b.duplicatePayment ? String(++st.nextId) : undefined;
    if (duplicateId)
      addPayment(st.db, st.db.get('Invoice')!.get(Id)!, duplicateId, b.totalMinor as number, time().slice(0, 10), {
        CreateTime: time(),
        LastUpdatedTime: time(),
      });
    res.json({ Id, paymentId, ...(duplicateId ? { duplicatePaymentId: duplicateId } : {}) });
  });
  // Tests: make someone else edit a customer so our SyncToken goes stale.
  r.post('/customer/:id/touch', (req, res) => {
    const row = st.db.get('Customer')!.get(req.params.id);
    if (!row) return void res.status(404).json({ error: 'no such customer' });
    row.SyncToken = String(Number(row.SyncToken) + 1);
    res.json({ SyncToken: row.SyncToken });
  });
  return r;
}
