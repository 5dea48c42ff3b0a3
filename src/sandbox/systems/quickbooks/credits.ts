/**
 * QuickBooks Online stand-in: what moves an invoice's Balance besides the seed, as Intuit documents
 * it (registered from quickbooks.ts):
 *
 * - `POST /payment`: a Payment whose `Line[]` each link one transaction (`LinkedTxn` with `TxnType`
 *   `Invoice` or `CreditMemo`). A line linking an Invoice applies its Amount to that invoice (its
 *   Balance goes down); a line linking a CreditMemo uses that much of the memo's remaining credit.
 *   `TotalAmt` is the money received: invoice lines minus credit memo lines, plus whatever stays
 *   unapplied (`UnappliedAmt`). A credit memo is applied to an invoice with a Payment of
 *   `TotalAmt` 0 linking both (Intuit's Payment sample "link a credit memo to an invoice").
 * - `POST /invoice?operation=void` with `{Id, SyncToken}`: the invoice stays, every amount and its
 *   Balance become 0, and "Voided" is put before its PrivateNote.
 * - Control (tests): `POST /_sandbox/quickbooks/invoices/:id/pay {amountMinor}`, a customer's
 *   payment of part (or all) of an invoice.
 *
 * Over-application is refused: an invoice line above the invoice's open Balance, or a credit memo
 * line above its remaining credit (QuickBooks' UI and API keep both at or above 0).
 */
import type { Request, Response, Router } from 'express';
import { amountToMinor, minorToAmount } from '../../support';

type Json = Record<string, unknown>;

export interface CreditContext {
  db: () => Map<string, Map<string, Json>>;
  newId: () => string;
  time: () => string;
  fault: (res: Response, status: number, type: string, code: string, message: string, detail?: string, element?: string) => void;
}

const curOf = (row: Json) => ((row.CurrencyRef as Json | undefined)?.value as string | undefined) ?? 'USD';
const bump = (row: Json, at: string) => {
  row.SyncToken = String(Number(row.SyncToken ?? 0) + 1);
  row.MetaData = { ...((row.MetaData as Json | undefined) ?? {}), LastUpdatedTime: at };
};

/** Records the payment, applies it to the invoice, and links both sides (as QuickBooks shows them). */
function applyPayment(
  ctx: CreditContext,
  p: { customer: Json; totalMinor: number; lines: { row: Json; entity: string; minor: number }[]; extra?: Json },
): Json {
  const at = ctx.time();
  const cur = curOf(p.customer);
  const Id = ctx.newId();
  const netMinor = p.lines.reduce((n, l) => n + (l.entity === 'Invoice' ? l.minor : -l.minor), 0);
  const payment: Json = {
    ...(p.extra ?? {}),
    Id,
    SyncToken: '0',
    TxnDate: at.slice(0, 10),
    CustomerRef: { value: p.customer.Id, name: p.customer.DisplayName },
    TotalAmt: minorToAmount(p.totalMinor, cur),
    UnappliedAmt: minorToAmount(p.totalMinor - netMinor, cur),
    Line: p.lines.map((l) => ({ Amount: minorToAmount(l.minor, cur), LinkedTxn: [{ TxnId: String(l.row.Id), TxnType: l.entity }] })),
    CurrencyRef: p.customer.CurrencyRef,
    MetaData: { CreateTime: at, LastUpdatedTime: at },
  };
  for (const l of p.lines) {
    if (l.entity === 'Invoice') {
      l.row.Balance = minorToAmount(amountToMinor(Number(l.row.Balance), cur) - l.minor, cur);
    } else {
      const left = minorToAmount(amountToMinor(Number(l.row.Balance), cur) - l.minor, cur);
      l.row.Balance = left;
      l.row.RemainingCredit = left;
    }
    l.row.LinkedTxn = [...((l.row.LinkedTxn as Json[] | undefined) ?? []), { TxnId: Id, TxnType: 'Payment' }];
    bump(l.row, at);
  }
  ctx.db().get('Payment')!.set(Id, payment);
  return payment;
}

export function registerCreditRoutes(company: Router, ctx: CreditContext): void {
  company.post('/payment', (req: Request, res: Response) => {
    const b = (req.body ?? {}) as Json;
    const db = ctx.db();
    const customer = db.get('Customer')!.get(String((b.CustomerRef as Json | undefined)?.value ?? ''));
    if (!customer)
      return ctx.fault(
        res,
        400,
        'ValidationFault',
        '2500',
        'Invalid Reference Id',
        'Invalid Reference Id : Names element id not found',
        'CustomerRef',
      );
    if (typeof b.TotalAmt !== 'number' || b.TotalAmt < 0)
      return ctx.fault(
        res,
        400,
        'ValidationFault',
        '2020',
        'Required param missing, need to supply the required value for the API',
        'Required parameter TotalAmt is missing in the request',
        'TotalAmt',
      );
    const cur = curOf(customer);
    const lines: { row: Json; entity: string; minor: number }[] = [];
    for (const l of Array.isArray(b.Line) ? (b.Line as Json[]) : []) {
      const links = Array.isArray(l.LinkedTxn) ? (l.LinkedTxn as Json[]) : [];
      if (typeof l.Amount !== 'number' || l.Amount <= 0 || links.length !== 1)
        return ctx.fault(
          res,
          400,
          'ValidationFault',
          '2020',
          'Required param missing',
          'Each Line needs a positive Amount and one LinkedTxn',
          'Line',
        );
      const entity = String(links[0].TxnType);
      if (entity !== 'Invoice' && entity !== 'CreditMemo')
        return ctx.fault(
          res,
          400,
          'ValidationFault',
          '2500',
          'Invalid Reference Id',
          `LinkedTxn TxnType ${entity} cannot be paid here`,
          'LinkedTxn',
        );
      const row = db.get(entity)!.get(String(links[0].TxnId));
      if (!row || (row.CustomerRef as Json | undefined)?.value !== customer.Id)
        return ctx.fault(
          res,
          400,
          'ValidationFault',
          '2500',
          'Invalid Reference Id',
          `Invalid Reference Id : ${entity} ${String(links[0].TxnId)} is not found for this customer`,
          'LinkedTxn',
        );
      lines.push({ row, entity, minor: amountToMinor(l.Amount, cur) });
    }
    // Over-application: the invoice's open Balance and the memo's remaining credit stay at or above 0.
    for (const entity of ['Invoice', 'CreditMemo']) {
      const per = new Map<Json, number>();
      for (const l of lines.filter((x) => x.entity === entity)) per.set(l.row, (per.get(l.row) ?? 0) + l.minor);
      for (const [row, minor] of per)
        if (minor > amountToMinor(Number(row.Balance ?? 0), cur))
          return ctx.fault(
            res,
            400,
            'ValidationFault',
            '6000',
            'A business validation error has occurred while processing your request',
            `Business Validation Error: the amount applied to ${entity} ${String(row.DocNumber ?? row.Id)} (${minorToAmount(minor, cur)}) is more than its open balance (${String(row.Balance)}).`,
          );
    }
    const totalMinor = amountToMinor(b.TotalAmt, cur);
    const netMinor = lines.reduce((n, l) => n + (l.entity === 'Invoice' ? l.minor : -l.minor), 0);
    if (netMinor < 0 || totalMinor < netMinor)
      return ctx.fault(
        res,
        400,
        'ValidationFault',
        '6000',
        'A business validation error has occurred while processing your request',
        'Business Validation Error: the payment total must cover the invoice lines less the credit memo lines.',
      );
    const { Id: _i, SyncToken: _s, Line: _l, TotalAmt: _t, CustomerRef: _c, CurrencyRef: _r, ...extra } = b;
    res.json({ Payment: applyPayment(ctx, { customer, totalMinor, lines, extra }), time: ctx.time() });
  });

  /** `?operation=void`: the invoice stays with every amount 0 and "Voided" before its PrivateNote. */
  company.post('/invoice', (req: Request, res: Response, next) => {
    if (req.query.operation !== 'void') return next();
    const b = (req.body ?? {}) as Json;
    const row = ctx.db().get('Invoice')!.get(String(b.Id));
    if (!row) return ctx.fault(res, 400, 'ValidationFault', '610', 'Object Not Found', `Invoice ${String(b.Id)} is not found`);
    if (String(b.SyncToken) !== row.SyncToken)
      return ctx.fault(
        res,
        400,
        'ValidationFault',
        '5010',
        'Stale Object Error',
        `Stale Object Error : SyncToken ${String(b.SyncToken)} is stale`,
      );
    row.Line = ((row.Line as Json[] | undefined) ?? []).map((l) => ({ ...l, Amount: 0 }));
    row.TotalAmt = 0;
    row.Balance = 0;
    row.PrivateNote = row.PrivateNote ? `Voided ${String(row.PrivateNote)}` : 'Voided';
    bump(row, ctx.time());
    res.json({ Invoice: row, time: ctx.time() });
  });
}

/** Tests: a customer pays part (or all) of an invoice's open balance. */
export function registerCreditControls(r: Router, ctx: CreditContext): void {
  r.post('/invoices/:id/pay', (req: Request, res: Response) => {
    const db = ctx.db();
    const inv = db.get('Invoice')!.get(String(req.params.id));
    const amountMinor = Number((req.body as { amountMinor?: number } | undefined)?.amountMinor);
    if (!inv) return void res.status(404).json({ error: 'no such invoice' });
    const cur = curOf(inv);
    if (!Number.isInteger(amountMinor) || amountMinor <= 0 || amountMinor > amountToMinor(Number(inv.Balance), cur))
      return void res.status(400).json({ error: 'amountMinor must be a positive integer within the open balance' });
    const customer = db.get('Customer')!.get(String((inv.CustomerRef as Json).value))!;
    res.json(applyPayment(ctx, { customer, totalMinor: amountMinor, lines: [{ row: inv, entity: 'Invoice', minor: amountMinor }] }));
  });
}
