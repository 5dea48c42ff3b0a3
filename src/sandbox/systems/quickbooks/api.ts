/**
 * The Accounting API v3 routes under `/v3/company/:realm/...`: bearer auth and realm checks,
 * `requestid` replay for every write (a repeat replays the first response and creates nothing),
 * query, reads, PDFs, sends, RefundReceipt/CreditMemo create, sparse update and delete, Customer
 * sparse update with SyncToken (5010 when stale).
 */
import { SANDBOX_CREDENTIALS, amountToMinor, bodyHash, minorToAmount, uuid } from '../../support';
import { gatewayFault, fault } from './faults';
import { tinyPdf } from './pdf';
import { runQuery } from './query';
import { QBO_REALM, currencyRef, ENTITY_PATHS, time, type Json } from './seed';
import { QboBooks } from './state';
import express, { type Request, type Response } from 'express';
import { registerCreditRoutes } from './credits';

/** The Accounting API v3 of one company. */
export function qboApiRouter(st: QboBooks): express.Router {
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
    if (rid.length > 50) return fault(res, 400, 'ValidationFault', '2050', 'requestid too long', 'requestid must be at most 50 characters');
    const key = `${QBO_REALM}:${rid}`;
    const seen = st.requests.get(key);
    const hash = bodyHash([req.path, req.body]);
    if (seen) {
      if (seen.hash !== hash)
        return fault(res, 400, 'ValidationFault', '600', 'Duplicate Request ID', 'requestid was already used for a different request');
      res.status(seen.status).json(seen.body);
      return;
    }
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode < 500) st.requests.set(key, { hash, status: res.statusCode, body });
      return json(body);
    };
    next();
  });

  const entity = (req: Request) => ENTITY_PATHS[String(req.params.entity).toLowerCase()];

  company.get('/query', (req, res) => {
    const out = runQuery(st.db, String(req.query.query ?? ''));
    if (typeof out === 'string') return fault(res, 400, 'ValidationFault', '4000', 'Error parsing query', out);
    if (out.count !== undefined) return void res.json({ QueryResponse: { totalCount: out.count }, time: time() });
    res.json({
      QueryResponse: out.rows.length ? { [out.entity]: out.rows, startPosition: out.start, maxResults: out.rows.length } : {},
      time: time(),
    });
  });

  company.get('/:entity/:id/pdf', (req, res) => {
    const e = entity(req);
    const row = e && st.db.get(e)!.get(req.params.id as string);
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
    const row = st.db.get(e)!.get(req.params.id as string);
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
    st.outbox.push({ entity: e, id: String(row.Id), to, at });
    res.json({ [e]: row, time: at });
  });

  company.get('/:entity/:id', (req, res) => {
    const e = entity(req);
    const row = e && st.db.get(e)!.get(req.params.id as string);
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
    const row = st.db.get(e)!.get(String(b.Id));
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
      st.db.get(e)!.delete(String(b.Id));
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
    const cust = st.db.get('Customer')!.get(String((b.CustomerRef as Json | undefined)?.value ?? ''));
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
    if (b.DocNumber && [...st.db.get(e)!.values()].some((x) => x.DocNumber === b.DocNumber)) {
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
    const Id = String(++st.nextId);
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
    st.db.get(e)!.set(Id, row);
    res.json({ [e]: row, time: time() });
  };
  // Payments that apply credit memos, invoice void (./credits.ts).
  registerCreditRoutes(company, st.credits);
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
    const row = st.db.get('Customer')!.get(String(b.Id));
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
}
