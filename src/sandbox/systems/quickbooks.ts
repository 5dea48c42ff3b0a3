/**
 * QuickBooks Online Accounting API v3 stand-in, under `/v3/company/:realm/...`: read invoice,
 * customer, payment; query; send invoice / payment / refund receipt / credit memo by email;
 * create, sparse-update and delete RefundReceipt and CreditMemo; sparse Customer update with SyncToken (5010 when stale);
 * Payments applying credit memos to invoices and invoice void (quickbooks-credits.ts);
 * PDFs. Every write honours `requestid`: a repeat replays the first response and creates nothing.
 * Errors use the real `Fault` envelope.
 */
import { SEED_CHARGES } from './quickbooks-payments';
import express, { type Request, type Response } from 'express';
import type { SandboxSystem } from '../core';
import { SANDBOX_CREDENTIALS, amountToMinor, bodyHash, minorToAmount, uuid } from '../support';
import { registerCreditControls, registerCreditRoutes, type CreditContext } from './quickbooks-credits';

export const QBO_REALM = '9130350000000001';

type Json = Record<string, unknown>;

interface SeedCustomer {
  Id: string;
  DisplayName: string;
  CompanyName: string;
  accountId: string;
  email: string;
  BillAddr: Json;
  /** The customer's currency (QuickBooks multicurrency): its transactions are in it. Default USD. */
  currency?: string;
}

const CURRENCY_NAMES: Record<string, string> = { USD: 'United States Dollar', JPY: 'Japanese Yen', KWD: 'Kuwaiti Dinar' };
const currencyRef = (code: string) => ({ value: code, name: CURRENCY_NAMES[code] ?? code });

const CUSTOMERS: SeedCustomer[] = [
  {
    Id: '101',
    DisplayName: 'Acme Corp',
    CompanyName: 'Acme Corp',
    accountId: 'ACME-001',
    email: 'billing@acme.example',
    BillAddr: { Id: '201', Line1: '1 Market St', City: 'San Francisco', CountrySubDivisionCode: 'CA', PostalCode: '94105', Country: 'US' },
  },
  {
    Id: '102',
    DisplayName: 'Globex Inc',
    CompanyName: 'Globex Inc',
    accountId: 'GLOBEX-002',
    email: 'ap@globex.example',
    BillAddr: { Id: '202', Line1: '200 Globex Way', City: 'Springfield', CountrySubDivisionCode: 'OR', PostalCode: '97477', Country: 'US' },
  },
  {
    Id: '103',
    DisplayName: 'Initech LLC',
    CompanyName: 'Initech LLC',
    accountId: 'INITECH-003',
    email: 'finance@initech.example',
    BillAddr: { Id: '203', Line1: '4120 Freidrich Ln', City: 'Austin', CountrySubDivisionCode: 'TX', PostalCode: '78744', Country: 'US' },
  },
  {
    Id: '104',
    DisplayName: 'Umbrella Co',
    CompanyName: 'Umbrella Co',
    accountId: 'UMBRELLA-004',
    email: 'accounts@umbrella.example',
    BillAddr: {
      Id: '204',
      Line1: '545 S Birdneck Rd',
      City: 'Virginia Beach',
      CountrySubDivisionCode: 'VA',
      PostalCode: '23451',
      Country: 'US',
    },
  },
  {
    Id: '105',
    DisplayName: 'Hooli',
    CompanyName: 'Hooli',
    accountId: 'HOOLI-005',
    email: 'ar@hooli.example',
    BillAddr: { Id: '205', Line1: '1 Hooli Plaza', City: 'Palo Alto', CountrySubDivisionCode: 'CA', PostalCode: '94301', Country: 'US' },
  },
  {
    Id: '106',
    DisplayName: 'Sakura KK',
    CompanyName: 'Sakura KK',
    accountId: 'SAKURA-006',
    email: 'keiri@sakura.example',
    BillAddr: { Id: '206', Line1: '1-1 Marunouchi', City: 'Tokyo', PostalCode: '100-0005', Country: 'JP' },
    currency: 'JPY',
  },
  {
    Id: '107',
    DisplayName: 'Gulf Trading',
    CompanyName: 'Gulf Trading',
    accountId: 'GULF-007',
    email: 'accounts@gulf.example',
    BillAddr: { Id: '207', Line1: 'Block 3, Street 14', City: 'Kuwait City', PostalCode: '13001', Country: 'KW' },
    currency: 'KWD',
  },
];

/** [Id, DocNumber, customer, total, balance (minor units of the customer's currency), due, paymentId]. */
const INVOICES: [string, string, string, number, number, string, string?][] = [
  ['1001', 'INV-1001', '101', 12000, 12000, '2026-12-15'],
  ['1002', 'INV-1002', '101', 45000, 0, '2026-10-01', '3001'],
  ['1003', 'INV-1003', '101', 250000, 0, '2026-09-01', '3002'],
  ['2001', 'INV-2001', '102', 240000, 240000, '2026-11-20'],
  ['3001', 'INV-3001', '103', 89900, 89900, '2026-11-01'],
  ['4001', 'INV-4001', '104', 4000, 0, '2026-11-10', '3004'],
  ['4002', 'INV-4002', '104', 4000, 0, '2026-11-12', '3005'],
  ['5001', 'INV-5001', '105', 125000, 125000, '2026-09-30'],
  ['6001', 'INV-6001', '106', 50000, 0, '2026-10-15', '3006'],
  ['7001', 'INV-7001', '107', 12500, 0, '2026-10-20', '3007'],
];

/**
 * Payments besides the one that paid each invoice above: [paymentId, invoiceId, applied (minor units), date].
 * INV-1002 (Acme, QuickBooks), INV-4002 (Umbrella, Skyfire) and INV-6001 (Sakura, JPY) were paid
 * twice: the evidence an automated refund for a duplicate charge needs. INV-4001 keeps its one payment, so a "charged
 * twice" refund of it goes to a person.
 */
const DUPLICATE_PAYMENTS: [string, string, number, string][] = [
  ['3003', '1002', 45000, '2026-09-16'],
  ['3008', '4002', 4000, '2026-11-13'],
  ['3009', '6001', 50000, '2026-10-16'],
];

const ENTITY_PATHS: Record<string, string> = {
  invoice: 'Invoice',
  customer: 'Customer',
  payment: 'Payment',
  refundreceipt: 'RefundReceipt',
  creditmemo: 'CreditMemo',
};

function seed(): Map<string, Map<string, Json>> {
  const db = new Map<string, Map<string, Json>>(Object.values(ENTITY_PATHS).map((e) => [e, new Map()]));
  const meta = () => ({ CreateTime: '2026-01-05T10:00:00-08:00', LastUpdatedTime: '2026-01-05T10:00:00-08:00' });
  for (const c of CUSTOMERS) {
    db.get('Customer')!.set(c.Id, {
      Id: c.Id,
      SyncToken: '0',
      DisplayName: c.DisplayName,
      CompanyName: c.CompanyName,
      // QuickBooks has no account-id field: ours lives in the customer's Notes (documented in sandbox-seed.md).
      Notes: `account_id:${c.accountId}`,
      PrimaryEmailAddr: { Address: c.email },
      BillAddr: { ...c.BillAddr },
      Balance: 0,
      Active: true,
      CurrencyRef: currencyRef(c.currency ?? 'USD'),
      MetaData: meta(),
    });
  }
  for (const [Id, DocNumber, cust, total, balance, due, paymentId] of INVOICES) {
    const c = CUSTOMERS.find((x) => x.Id === cust)!;
    const cur = c.currency ?? 'USD';
    const amount = (minor: number) => minorToAmount(minor, cur);
    db.get('Invoice')!.set(Id, {
      Id,
      SyncToken: '0',
      DocNumber,
      TxnDate: '2026-08-01',
      DueDate: due,
      CustomerRef: { value: cust, name: c.DisplayName },
      Line: [
        {
          Id: '1',
          LineNum: 1,
          Amount: amount(total),
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' } },
          Description: 'Subscription',
        },
      ],
      TotalAmt: amount(total),
      Balance: amount(balance),
      BillEmail: { Address: c.email },
      EmailStatus: 'NotSet',
      CurrencyRef: currencyRef(cur),
      ...(paymentId ? { LinkedTxn: [{ TxnId: paymentId, TxnType: 'Payment' }] } : {}),
      MetaData: meta(),
    });
    db.get('Customer')!.get(cust)!.Balance = amount(amountToMinor(Number(db.get('Customer')!.get(cust)!.Balance), cur) + balance);
    if (paymentId) {
      db.get('Payment')!.set(paymentId, {
        Id: paymentId,
        SyncToken: '0',
        TxnDate: '2026-09-15',
        CustomerRef: { value: cust, name: c.DisplayName },
        TotalAmt: amount(total),
        UnappliedAmt: 0,
        Line: [{ Amount: amount(total), LinkedTxn: [{ TxnId: Id, TxnType: 'Invoice' }] }],
        CurrencyRef: currencyRef(cur),
        MetaData: meta(),
      });
    }
  }
  for (const [paymentId, invoiceId, applied, date] of DUPLICATE_PAYMENTS) {
    const inv = db.get('Invoice')!.get(invoiceId)!;
    addPayment(db, inv, paymentId, applied, date, meta());
  }
  // Payments received through QuickBooks Payments carry their charge (src/sandbox/systems/quickbooks-payments.ts).
  for (const c of SEED_CHARGES) chargeOn(db.get('Payment')!.get(c.paymentId)!, c.id);
  return db;
}

const time = () => new Date().toISOString();

/** A payment of the invoice's customer applying `appliedMinor` to it; the invoice links it (LinkedTxn), as QuickBooks shows both sides. */
function addPayment(
  db: Map<string, Map<string, Json>>,
  inv: Json,
  paymentId: string,
  appliedMinor: number,
  date: string,
  metaData: Json,
): void {
  const cur = ((inv.CurrencyRef as Json | undefined)?.value as string | undefined) ?? 'USD';
  const amount = minorToAmount(appliedMinor, cur);
  db.get('Payment')!.set(paymentId, {
    Id: paymentId,
    SyncToken: '0',
    TxnDate: date,
    CustomerRef: { ...(inv.CustomerRef as Json) },
    TotalAmt: amount,
    UnappliedAmt: 0,
    Line: [{ Amount: amount, LinkedTxn: [{ TxnId: String(inv.Id), TxnType: 'Invoice' }] }],
    CurrencyRef: inv.CurrencyRef,
    MetaData: metaData,
  });
  inv.LinkedTxn = [...((inv.LinkedTxn as Json[] | undefined) ?? []), { TxnId: paymentId, TxnType: 'Payment' }];
}

/** A card payment processed by QuickBooks Payments: the charge id as `CreditCardPayment.CreditChargeResponse.CCTransId`. */
function chargeOn(payment: Json, chargeId: string): void {
  payment.CreditCardPayment = { CreditChargeResponse: { CCTransId: chargeId } };
}

/** QuickBooks' answer to an injected 5xx: a SystemFault in the usual envelope. */
const systemFault = () => ({
  Fault: {
    Error: [
      {
        Message: 'An application error has occurred while processing your request',
        Detail: 'System Failure Error: service unavailable',
        code: '10000',
      },
    ],
    type: 'SystemFault',
  },
  time: time(),
});

function fault(res: Response, status: number, type: string, code: string, message: string, detail = message, element?: string) {
  res
    .status(status)
    .set('intuit_tid', uuid())
    .json({ Fault: { Error: [{ Message: message, Detail: detail, code, ...(element ? { element } : {}) }], type }, time: time() });
}

/**
 * Authentication and authorization failures do not use the `Fault` envelope: QuickBooks answers
 * them with a lower-case `fault.error[]` body (reported verbatim by client libraries; see
 * docs/connectors.md), e.g. `{"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"…","code":"3200"}],"type":"AUTHENTICATION"}}`.
 */
function gatewayFault(res: Response, status: 401 | 403, name: string, code: string, type: string, detail: string | null) {
  res.status(status).json({
    warnings: null,
    intuitObject: null,
    fault: {
      error: [{ message: `message=${name}; errorCode=${code.padStart(6, '0')}; statusCode=${status}`, detail, code, element: null }],
      type,
    },
    report: null,
    queryResponse: null,
    batchItemResponse: [],
    attachableResponse: [],
    syncErrorResponse: null,
    requestId: null,
    time: Date.now(),
    status: null,
    cdcresponse: [],
  });
}

/** Throttling answers in XML whatever the Accept header (code 3001, Fault type SERVICE), as reported. */
function throttleXml(res: Response) {
  res
    .status(429)
    .type('application/xml')
    .send(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<IntuitResponse time="${time()}" xmlns="http://schema.intuit.com/finance/v3">\n    <Fault type="SERVICE">\n        <Error code="3001">\n            <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n            <Detail>The request limit was reached.  Try again later</Detail>\n        </Error>\n    </Fault>\n</IntuitResponse>`,
    );
}

/** A minimal but valid one-page PDF with a line of text (so a Drive archive holds a real PDF). */
export function tinyPdf(text: string): Buffer {
  const safe = text.replace(/[()\\]/g, '');
  const stream = `BT /F1 18 Tf 72 720 Td (${safe}) Tj ET`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** QuickBooks caps a query page at 1000 rows; without MAXRESULTS a page holds 100. */
const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;

type Cond = { field: string; op: string; values: string[] };
export type ParsedQuery = {
  count: boolean;
  fields: string[] | '*';
  entity: string;
  where: Cond[];
  orderBy?: { field: string; desc: boolean };
  start: number;
  max: number;
};

/**
 * The query language QuickBooks documents (and node-quickbooks writes):
 *   SELECT * | count(*) | f1, f2 FROM Entity [WHERE f op v [AND ...]] [ORDERBY f [ASC|DESC]]
 *   [STARTPOSITION n] [MAXRESULTS n]
 * with `=, <, >, <=, >=, IN ('a','b'), LIKE '%x%'`, single-quoted strings (`\'` escapes a quote),
 * keywords in any case, no OR. Returns an error text in QuickBooks' words on anything else.
 */
export function parseQuery(q: string): ParsedQuery | string {
  const tokens: string[] = [];
  const re = /\s*(?:'((?:\\.|[^'\\])*)'|(<=|>=|=|<|>|\(|\)|,|\*)|([\w.]+(?:\(\*\))?))/gy;
  let pos = 0;
  const src = q.trim();
  while (pos < src.length) {
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) return `QueryParserError: Encountered "${src.slice(pos, pos + 10)}" at column ${pos + 1}`;
    tokens.push(m[1] !== undefined ? `'${m[1].replace(/\\(.)/g, '$1')}` : (m[2] ?? m[3]));
    pos = re.lastIndex;
    while (src[pos] === ' ' || src[pos] === '\t' || src[pos] === '\n') pos++;
  }
  let i = 0;
  const peek = () => tokens[i]?.toLowerCase();
  const next = () => tokens[i++];
  const expect = (kw: string) => (peek() === kw ? (i++, true) : false);
  if (!expect('select')) return 'QueryParserError: Encountered an unsupported or malformed query: expected SELECT';
  let count = false;
  let fields: string[] | '*' = '*';
  if (peek() === 'count(*)') {
    count = true;
    i++;
  } else if (!expect('*')) {
    fields = [];
    do fields.push(next() ?? '');
    while (expect(','));
  }
  if (!expect('from')) return 'QueryParserError: expected FROM';
  const entity = next();
  if (!entity || !/^\w+$/.test(entity)) return 'QueryParserError: expected an entity after FROM';
  const where: Cond[] = [];
  const value = (): string | undefined =>
    tokens[i]?.startsWith("'")
      ? next().slice(1)
      : /^-?\d+(\.\d+)?$/.test(tokens[i] ?? '') || /^(true|false)$/i.test(tokens[i] ?? '')
        ? next()
        : undefined;
  if (expect('where')) {
    do {
      const field = next();
      const op = (next() ?? '').toLowerCase();
      if (!field || !/^[\w.]+$/.test(field)) return 'QueryParserError: expected a property name in WHERE';
      if (op === 'in') {
        if (!expect('(')) return 'QueryParserError: expected ( after IN';
        const values: string[] = [];
        do {
          const v = value();
          if (v === undefined) return 'QueryParserError: expected a value in IN list';
          values.push(v);
        } while (expect(','));
        if (!expect(')')) return 'QueryParserError: expected ) after IN list';
        where.push({ field, op, values });
      } else if (['=', '<', '>', '<=', '>=', 'like'].includes(op)) {
        const v = value();
        if (v === undefined) return `QueryParserError: expected a value after ${op}`;
        where.push({ field, op, values: [v] });
      } else return `QueryParserError: unsupported operator "${op}"`;
    } while (expect('and'));
    if (peek() === 'or') return 'QueryParserError: OR is not supported';
  }
  let orderBy: ParsedQuery['orderBy'];
  if (expect('orderby')) {
    const field = next();
    if (!field) return 'QueryParserError: expected a property after ORDERBY';
    const desc = peek() === 'desc';
    if (peek() === 'asc' || peek() === 'desc') i++;
    orderBy = { field, desc };
  }
  let start = 1;
  let max = DEFAULT_PAGE;
  for (;;) {
    if (expect('startposition')) {
      start = Number(next());
      if (!Number.isInteger(start) || start < 1) return 'QueryValidationError: STARTPOSITION must be a positive integer';
    } else if (expect('maxresults')) {
      max = Number(next());
      if (!Number.isInteger(max) || max < 1) return 'QueryValidationError: MAXRESULTS must be a positive integer';
    } else break;
  }
  if (i < tokens.length) return `QueryParserError: Encountered "${tokens[i]}" after the query`;
  // QuickBooks answers at most 1000 rows however large MAXRESULTS is.
  return { count, fields, entity, where, ...(orderBy ? { orderBy } : {}), start, max: Math.min(max, MAX_PAGE) };
}

function runQuery(db: Map<string, Map<string, Json>>, q: string): { entity: string; rows: Json[]; start: number; count?: number } | string {
  const p = parseQuery(q);
  if (typeof p === 'string') return p;
  const entity = Object.values(ENTITY_PATHS).find((e) => e.toLowerCase() === p.entity.toLowerCase());
  if (!entity) return `QueryValidationError: Invalid entity ${p.entity}`;
  const get = (row: Json, field: string): unknown => {
    let v: unknown = row;
    for (const part of field.split('.'))
      v =
        v && typeof v === 'object'
          ? (v as Json)[Object.keys(v as Json).find((k) => k.toLowerCase() === part.toLowerCase()) ?? part]
          : undefined;
    // Reference and email fields compare by their value (CustomerRef = '101', PrimaryEmailAddr = 'a@b').
    if (v && typeof v === 'object') return 'value' in (v as Json) ? (v as Json).value : (v as Json).Address;
    return v;
  };
  const cmp = (a: unknown, b: string): number => {
    const da = typeof a === 'string' && /^\d{4}-\d\d-\d\d/.test(a) ? Date.parse(a) : NaN;
    const db2 = /^\d{4}-\d\d-\d\d/.test(b) ? Date.parse(b) : NaN;
    if (!Number.isNaN(da) && !Number.isNaN(db2)) return da - db2;
    const [na, nb] = [Number(a), Number(b)];
    if (a !== '' && b !== '' && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
    return String(a ?? '').localeCompare(b);
  };
  const like = (v: unknown, pattern: string) =>
    new RegExp(
      `^${pattern
        .split('%')
        .map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      'i',
    ).test(String(v ?? ''));
  let rows = [...db.get(entity)!.values()].filter((row) =>
    p.where.every(({ field, op, values }) => {
      const v = get(row, field);
      if (v === undefined) return false;
      if (op === 'in') return values.some((x) => String(v) === x);
      if (op === 'like') return like(v, values[0]);
      if (op === '=') return String(v) === values[0];
      const c = cmp(v, values[0]);
      return op === '>' ? c > 0 : op === '<' ? c < 0 : op === '>=' ? c >= 0 : c <= 0;
    }),
  );
  if (p.count) return { entity, rows: [], start: 1, count: rows.length };
  // Without ORDERBY rows come in Id order, which keeps STARTPOSITION pages stable.
  const order = p.orderBy ?? { field: 'Id', desc: false };
  rows = rows.sort((a, b) => cmp(get(a, order.field), String(get(b, order.field) ?? '')) * (order.desc ? -1 : 1));
  const page = rows.slice(p.start - 1, p.start - 1 + p.max);
  const fields = p.fields;
  return {
    entity,
    start: p.start,
    rows:
      fields === '*'
        ? page
        : page.map((r) =>
            Object.fromEntries(Object.entries(r).filter(([k]) => k === 'Id' || fields.some((f) => f.toLowerCase() === k.toLowerCase()))),
          ),
  };
}

export function createQuickBooksSystem(): SandboxSystem {
  let db = seed();
  /** realm:requestid -> first response. */
  let requests = new Map<string, { hash: string; status: number; body: unknown }>();
  /** Emails QuickBooks "sent" (for tests and the page). */
  let outbox: { entity: string; id: string; to: string; at: string }[] = [];
  let nextId = 9000;
  const reset = () => {
    db = seed();
    requests = new Map();
    outbox = [];
    nextId = 9000;
  };
  const credits: CreditContext = { db: () => db, newId: () => String(++nextId), time, fault };

  const router = () => {
    const r = express.Router();
    r.use((req, res, next) => {
      res.set('intuit_tid', uuid());
      const token = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7) : undefined;
      if (token !== SANDBOX_CREDENTIALS.quickbooks)
        return gatewayFault(res, 401, 'AuthenticationFailed', '3200', 'AUTHENTICATION', 'Token invalid or expired');
      next();
    });
    const company = express.Router({ mergeParams: true });
    r.use(
      '/v3/company/:realm',
      (req, res, next) => {
        if (req.params.realm !== QBO_REALM) return gatewayFault(res, 403, 'AuthorizationFailed', '3100', 'SERVICE', null);
        next();
      },
      company,
    );

    // requestid replay for every write: the first response is stored and replayed verbatim.
    company.use((req, res, next) => {
      const rid = typeof req.query.requestid === 'string' ? req.query.requestid : undefined;
      if (req.method !== 'POST' || !rid) return next();
      if (rid.length > 50)
        return fault(res, 400, 'ValidationFault', '2050', 'requestid too long', 'requestid must be at most 50 characters');
      const key = `${QBO_REALM}:${rid}`;
      const seen = requests.get(key);
      const hash = bodyHash([req.path, req.body]);
      if (seen) {
        if (seen.hash !== hash)
          return fault(res, 400, 'ValidationFault', '600', 'Duplicate Request ID', 'requestid was already used for a different request');
        res.status(seen.status).json(seen.body);
        return;
      }
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        if (res.statusCode < 500) requests.set(key, { hash, status: res.statusCode, body });
        return json(body);
      };
      next();
    });

    const entity = (req: Request) => ENTITY_PATHS[String(req.params.entity).toLowerCase()];

    company.get('/query', (req, res) => {
      const out = runQuery(db, String(req.query.query ?? ''));
      if (typeof out === 'string') return fault(res, 400, 'ValidationFault', '4000', 'Error parsing query', out);
      if (out.count !== undefined) return void res.json({ QueryResponse: { totalCount: out.count }, time: time() });
      res.json({
        QueryResponse: out.rows.length ? { [out.entity]: out.rows, startPosition: out.start, maxResults: out.rows.length } : {},
        time: time(),
      });
    });

    company.get('/:entity/:id/pdf', (req, res) => {
      const e = entity(req);
      const row = e && db.get(e)!.get(req.params.id as string);
      if (!row)
        return fault(
          res,
          400,
          'ValidationFault',
          '610',
          'Object Not Found',
          `Something you're trying to use has been made inactive or is not found: ${e ?? req.params.entity} ${req.params.id}`,
        );
      res.type('application/pdf').send(tinyPdf(`${e} ${String(row.DocNumber ?? row.Id)} total ${String(row.TotalAmt)}`));
    });

    company.post('/:entity/:id/send', (req, res) => {
      const e = entity(req);
      if (!e || !['Invoice', 'Payment', 'RefundReceipt', 'CreditMemo'].includes(e))
        return fault(res, 400, 'ValidationFault', '500', 'Unsupported Operation', `send is not supported for ${req.params.entity}`);
      // Public clients report a 500 when send carries a JSON content type; reproduce it.
      if (String(req.headers['content-type'] ?? '').includes('json'))
        return fault(
          res,
          500,
          'SystemFault',
          '10000',
          'An application error has occurred while processing your request',
          'send expects application/octet-stream',
        );
      const row = db.get(e)!.get(req.params.id as string);
      if (!row) return fault(res, 400, 'ValidationFault', '610', 'Object Not Found', `${e} ${req.params.id} is not found`);
      const to =
        typeof req.query.sendTo === 'string' ? req.query.sendTo : ((row.BillEmail as Json | undefined)?.Address as string | undefined);
      if (!to || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(to))
        return fault(
          res,
          400,
          'ValidationFault',
          '2020',
          'Required param missing, need to supply the required value for the API',
          'Valid sendTo or BillEmail required',
          'sendTo',
        );
      const at = time();
      Object.assign(row, {
        EmailStatus: 'EmailSent',
        DeliveryInfo: { DeliveryType: 'Email', DeliveryTime: at },
        SyncToken: String(Number(row.SyncToken) + 1),
      });
      outbox.push({ entity: e, id: String(row.Id), to, at });
      res.json({ [e]: row, time: at });
    });

    company.get('/:entity/:id', (req, res) => {
      const e = entity(req);
      const row = e && db.get(e)!.get(req.params.id as string);
      if (!row)
        return fault(
          res,
          400,
          'ValidationFault',
          '610',
          'Object Not Found',
          `Something you're trying to use has been made inactive or is not found: ${e ?? req.params.entity} ${req.params.id}`,
        );
      res.json({ [e]: row, time: time() });
    });

    /**
     * A sparse update (`{Id, SyncToken, sparse: true, ...}`) or a delete (`?operation=delete`,
     * `{Id, SyncToken}`) of a RefundReceipt or CreditMemo, as a bookkeeper's edit in the QuickBooks
     * UI or any app's API call makes them.
     */
    const changeTxn = (e: 'RefundReceipt' | 'CreditMemo', req: Request, res: Response) => {
      const b = (req.body ?? {}) as Json;
      const row = db.get(e)!.get(String(b.Id));
      if (!row) return fault(res, 400, 'ValidationFault', '610', 'Object Not Found', `${e} ${String(b.Id)} is not found`);
      if (String(b.SyncToken) !== row.SyncToken)
        return fault(
          res,
          400,
          'ValidationFault',
          '5010',
          'Stale Object Error',
          `Stale Object Error : SyncToken ${String(b.SyncToken)} is stale`,
        );
      if (req.query.operation === 'delete') {
        db.get(e)!.delete(String(b.Id));
        return void res.json({ [e]: { Id: row.Id, status: 'Deleted', domain: 'QBO' }, time: time() });
      }
      if (b.sparse !== true)
        return fault(
          res,
          400,
          'ValidationFault',
          '2020',
          'Required param missing',
          'Only sparse updates are emulated (sparse:true)',
          'sparse',
        );
      const { Id: _i, SyncToken: _s, sparse: _p, ...changes } = b;
      for (const [k, v] of Object.entries(changes)) row[k] = v;
      const cur = ((row.CurrencyRef as Json | undefined)?.value as string | undefined) ?? 'USD';
      if (Array.isArray(changes.Line))
        row.TotalAmt = minorToAmount(
          (changes.Line as Json[]).reduce((n, l) => n + amountToMinor(Number(l.Amount), cur), 0),
          cur,
        );
      row.SyncToken = String(Number(row.SyncToken) + 1);
      (row.MetaData as Json).LastUpdatedTime = time();
      res.json({ [e]: row, time: time() });
    };

    const createTxn = (e: 'RefundReceipt' | 'CreditMemo') => (req: Request, res: Response) => {
      const b = (req.body ?? {}) as Json;
      if (b.Id !== undefined) return changeTxn(e, req, res);
      const cust = db.get('Customer')!.get(String((b.CustomerRef as Json | undefined)?.value ?? ''));
      if (!b.CustomerRef)
        return fault(
          res,
          400,
          'ValidationFault',
          '2020',
          'Required param missing, need to supply the required value for the API',
          'Required parameter CustomerRef is missing in the request',
          'CustomerRef',
        );
      if (!cust)
        return fault(
          res,
          400,
          'ValidationFault',
          '2500',
          'Invalid Reference Id',
          'Invalid Reference Id : Names element id not found',
          'CustomerRef',
        );
      if (e === 'RefundReceipt' && !(b.DepositToAccountRef as Json | undefined)?.value) {
        return fault(
          res,
          400,
          'ValidationFault',
          '2020',
          'Required param missing, need to supply the required value for the API',
          'Required parameter DepositToAccountRef is missing in the request',
          'DepositToAccountRef',
        );
      }
      const lines = Array.isArray(b.Line) ? (b.Line as Json[]) : [];
      if (
        lines.length === 0 ||
        lines.some((l) => l.DetailType !== 'SalesItemLineDetail' || typeof l.Amount !== 'number' || (l.Amount as number) <= 0)
      ) {
        return fault(
          res,
          400,
          'ValidationFault',
          '2020',
          'Required param missing, need to supply the required value for the API',
          'At least one SalesItemLineDetail line with a positive Amount is required',
          'Line',
        );
      }
      if (b.DocNumber && [...db.get(e)!.values()].some((x) => x.DocNumber === b.DocNumber)) {
        return fault(
          res,
          400,
          'ValidationFault',
          '6140',
          'Duplicate Document Number Error',
          `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${String(b.DocNumber)}`,
        );
      }
      // Multicurrency: a transaction is in its customer's currency; QuickBooks refuses another one.
      const cur = ((cust.CurrencyRef as Json | undefined)?.value as string | undefined) ?? 'USD';
      const asked = (b.CurrencyRef as Json | undefined)?.value;
      if (asked !== undefined && asked !== cur) {
        return fault(
          res,
          400,
          'ValidationFault',
          '6000',
          'A business validation error has occurred while processing your request',
          `Business Validation Error: The currency of the transaction (${String(asked)}) must be the customer's currency (${cur}).`,
        );
      }
      const total = lines.reduce((s, l) => s + amountToMinor(l.Amount as number, cur), 0);
      const Id = String(++nextId);
      const row: Json = {
        ...b,
        Id,
        SyncToken: '0',
        DocNumber: b.DocNumber ?? `${e === 'RefundReceipt' ? 'RR' : 'CM'}-${Id}`,
        TxnDate: b.TxnDate ?? time().slice(0, 10),
        CustomerRef: { value: cust.Id, name: cust.DisplayName },
        Line: lines.map((l, i) => ({ ...l, Id: String(i + 1), LineNum: i + 1 })),
        TotalAmt: minorToAmount(total, cur),
        ...(e === 'CreditMemo' ? { RemainingCredit: minorToAmount(total, cur), Balance: minorToAmount(total, cur) } : { Balance: 0 }),
        BillEmail: cust.PrimaryEmailAddr,
        CurrencyRef: currencyRef(cur),
        MetaData: { CreateTime: time(), LastUpdatedTime: time() },
      };
      db.get(e)!.set(Id, row);
      res.json({ [e]: row, time: time() });
    };
    // Payments that apply credit memos, invoice void (quickbooks-credits.ts).
    registerCreditRoutes(company, credits);
    company.post('/refundreceipt', createTxn('RefundReceipt'));
    company.post('/creditmemo', createTxn('CreditMemo'));

    company.post('/customer', (req, res) => {
      const b = (req.body ?? {}) as Json;
      if (!b.Id)
        return fault(
          res,
          400,
          'ValidationFault',
          '2020',
          'Required param missing, need to supply the required value for the API',
          'Customer creation is not emulated; Id is required',
          'Id',
        );
      const row = db.get('Customer')!.get(String(b.Id));
      if (!row) return fault(res, 400, 'ValidationFault', '610', 'Object Not Found', `Customer ${String(b.Id)} is not found`);
      if (b.SyncToken === undefined)
        return fault(
          res,
          400,
          'ValidationFault',
          '2020',
          'Required param missing, need to supply the required value for the API',
          'Required parameter SyncToken is missing in the request',
          'SyncToken',
        );
      if (String(b.SyncToken) !== row.SyncToken) {
        return fault(
          res,
          400,
          'ValidationFault',
          '5010',
          'Stale Object Error',
          `Stale Object Error : You and ${'another user'} were working on the same thing. SyncToken ${String(b.SyncToken)} is stale`,
        );
      }
      if (b.sparse !== true)
        return fault(
          res,
          400,
          'ValidationFault',
          '2020',
          'Required param missing',
          'Only sparse updates are emulated (sparse:true)',
          'sparse',
        );
      const { Id: _i, SyncToken: _s, sparse: _p, ...changes } = b;
      // Sparse: only the fields sent change; a sent object (e.g. BillAddr) replaces the old one.
      for (const [k, v] of Object.entries(changes)) row[k] = v;
      row.SyncToken = String(Number(row.SyncToken) + 1);
      (row.MetaData as Json).LastUpdatedTime = time();
      res.json({ Customer: row, time: time() });
    });
    return r;
  };

  return {
    name: 'quickbooks',
    title: 'QuickBooks Online',
    router,
    faultBody: (status) =>
      status === 429
        ? {
            Fault: {
              Error: [
                {
                  Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
                  Detail: 'The request limit was reached.  Try again later',
                  code: '3001',
                },
              ],
              type: 'SERVICE',
            },
            time: time(),
          }
        : systemFault(),
    sendFault: (res, status) => (status === 429 ? throttleXml(res) : void res.status(status).json(systemFault())),
    // Intuit: at most 10 concurrent requests per realm and app; more are answered 429.
    concurrency: { limit: 10, key: (req) => /^\/v3\/company\/([^/]+)/.exec(req.path)?.[1] },
    reset,
    controlRouter() {
      const r = express.Router();
      r.use(express.json());
      r.get('/outbox', (_req, res) => res.json(outbox));
      registerCreditControls(r, credits);
      r.get('/entities/:entity', (req, res) => res.json([...(db.get(String(req.params.entity)) ?? new Map()).values()]));
      // Tests: a company with many customers (paging), each with an account id in Notes.
      r.post('/customers/bulk', (req, res) => {
        const count = Number((req.body as { count?: number }).count ?? 0);
        if (!Number.isInteger(count) || count < 1 || count > 20_000) return void res.status(400).json({ error: 'count must be 1..20000' });
        const customers = db.get('Customer')!;
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
        const row = db.get('Customer')!.get(req.params.id);
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
          ? [...db.get('Customer')!.values()].find((c) => c.Notes === `account_id:${b.accountId}`)
          : db.get('Customer')!.get(String(b.customerId ?? ''));
        if (!b.docNumber || !cust || !Number.isInteger(b.totalMinor) || (b.totalMinor as number) <= 0)
          return void res
            .status(400)
            .json({ error: 'docNumber, a seed customerId (or accountId) and a positive integer totalMinor are required' });
        const cur = ((cust.CurrencyRef as Json | undefined)?.value as string | undefined) ?? 'USD';
        const Id = String(++nextId);
        const paymentId = String(++nextId);
        const amount = minorToAmount(b.totalMinor as number, cur);
        db.get('Invoice')!.set(Id, {
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
        db.get('Payment')!.set(paymentId, {
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
        if (b.ccTransId) chargeOn(db.get('Payment')!.get(paymentId)!, b.ccTransId);
        const duplicateId = b.duplicatePayment ? String(++nextId) : undefined;
        if (duplicateId)
          addPayment(db, db.get('Invoice')!.get(Id)!, duplicateId, b.totalMinor as number, time().slice(0, 10), {
            CreateTime: time(),
            LastUpdatedTime: time(),
          });
        res.json({ Id, paymentId, ...(duplicateId ? { duplicatePaymentId: duplicateId } : {}) });
      });
      // Tests: make someone else edit a customer so our SyncToken goes stale.
      r.post('/customer/:id/touch', (req, res) => {
        const row = db.get('Customer')!.get(req.params.id);
        if (!row) return void res.status(404).json({ error: 'no such customer' });
        row.SyncToken = String(Number(row.SyncToken) + 1);
        res.json({ SyncToken: row.SyncToken });
      });
      return r;
    },
  };
}
