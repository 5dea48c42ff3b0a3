/**
 * QuickBooks Online Accounting API v3 client (our own, over fetch). The maintained npm options
 * (`node-quickbooks`, `intuit-oauth`) are callback-style, untyped, or only cover OAuth; the calls we
 * need are few and plain REST. Every request sends `minorversion=75`; every write sends a
 * `requestid` (<= 50 chars) so QuickBooks replays the first response instead of writing twice.
 * Errors come in the `Fault` envelope and are classified by Fault code.
 */
import type { ConnectorsConfig } from '../config/types';
import { quickbooksBody } from './encoding';
import { HttpClient, stableKey, type ErrorDescription, type HttpRequest, type HttpResponse } from './http';
import { NotFoundError, ValidationError, type ErrorKind } from './errors';

export const QBO_MINOR_VERSION = 75;

/** QuickBooks JSON as it comes; we type the fields we read. */
export interface QboRef {
  value: string;
  name?: string;
}
export interface QboAddress {
  Id?: string;
  Line1?: string;
  Line2?: string;
  City?: string;
  CountrySubDivisionCode?: string;
  PostalCode?: string;
  Country?: string;
}
export interface QboInvoice {
  Id: string;
  SyncToken: string;
  DocNumber?: string;
  TxnDate?: string;
  DueDate?: string;
  CustomerRef: QboRef;
  TotalAmt: number;
  Balance: number;
  BillEmail?: { Address?: string };
  EmailStatus?: string;
  DeliveryInfo?: { DeliveryType?: string; DeliveryTime?: string };
  CurrencyRef?: QboRef;
  LinkedTxn?: { TxnId: string; TxnType: string }[];
}
export interface QboCustomer {
  Id: string;
  SyncToken: string;
  DisplayName?: string;
  Notes?: string;
  PrimaryEmailAddr?: { Address?: string };
  BillAddr?: QboAddress;
  Balance?: number;
  CurrencyRef?: QboRef;
}
export interface QboPayment {
  Id: string;
  SyncToken: string;
  TxnDate?: string;
  CustomerRef: QboRef;
  TotalAmt: number;
  CurrencyRef?: QboRef;
  Line?: { Amount: number; LinkedTxn?: { TxnId: string; TxnType: string }[] }[];
  /** A card payment processed by QuickBooks Payments: `CCTransId` is the Payments API charge id. */
  CreditCardPayment?: { CreditChargeResponse?: { CCTransId?: string } };
}
export interface QboLine {
  Amount: number;
  DetailType: 'SalesItemLineDetail';
  SalesItemLineDetail: { ItemRef: QboRef; Qty?: number; UnitPrice?: number };
  Description?: string;
}
export interface QboTxn {
  Id: string;
  SyncToken: string;
  DocNumber?: string;
  TotalAmt: number;
  CustomerRef: QboRef;
  PrivateNote?: string;
  CurrencyRef?: QboRef;
  Line?: QboLine[];
  /** CreditMemo: the credit not yet applied (goes down as Payments apply it to invoices). */
  Balance?: number;
  RemainingCredit?: number;
}

/** Entities we read, send or create, with their URL segment. */
export type QboEntity = 'Invoice' | 'Customer' | 'Payment' | 'RefundReceipt' | 'CreditMemo';
const SEGMENT: Record<QboEntity, string> = {
  Invoice: 'invoice',
  Customer: 'customer',
  Payment: 'payment',
  RefundReceipt: 'refundreceipt',
  CreditMemo: 'creditmemo',
};

const KIND_BY_FAULT_CODE: Record<string, ErrorKind> = {
  '5010': 'stale',
  '610': 'not_found',
  '6000': 'business',
  '6140': 'business',
  '6190': 'business',
  '6210': 'business',
  '6240': 'business',
  '600': 'business',
  '2020': 'validation',
  '2050': 'validation',
  '2500': 'validation',
  '4000': 'validation',
  '100': 'auth',
  '120': 'auth',
  '3100': 'auth',
  '3200': 'auth',
  '3001': 'rate_limited',
};

/** Intuit: "If you see [a 429], wait 60 seconds before retrying the request" (no Retry-After is sent). */
export const QBO_THROTTLE_WAIT_MS = 60_000;

interface FaultError {
  code?: string;
  message?: string;
}

/**
 * The first error of a failed response, in any of the shapes QuickBooks answers with: the API's
 * `{"Fault":{"Error":[{"Message","Detail","code"}],"type"}}`; the gateway's lower-case
 * `{"fault":{"error":[{"message","detail","code"}],"type"}}` for 401/403; and XML
 * `<IntuitResponse><Fault type><Error code><Message>` (throttling, whatever was asked for).
 */
function firstFaultError(body: unknown): (FaultError & { type?: string }) | undefined {
  if (typeof body === 'string') {
    const code = /<Error\b[^>]*\bcode="([^"]*)"/.exec(body)?.[1];
    if (code === undefined) return undefined;
    return { code, message: /<Message>([^<]*)<\/Message>/.exec(body)?.[1], type: /<Fault\b[^>]*\btype="([^"]*)"/.exec(body)?.[1] };
  }
  const b = (body ?? {}) as {
    Fault?: { Error?: { Message?: string; code?: string }[]; type?: string };
    fault?: { error?: { message?: string; code?: string }[]; type?: string };
  };
  if (b.Fault?.Error?.[0]) return { code: b.Fault.Error[0].code, message: b.Fault.Error[0].Message, type: b.Fault.type };
  if (b.fault?.error?.[0]) return { code: b.fault.error[0].code, message: b.fault.error[0].message, type: b.fault.type };
  return undefined;
}

export function describeQuickBooksError(status: number, body: unknown): ErrorDescription {
  const first = firstFaultError(body);
  if (!first) return { message: typeof body === 'string' ? body.slice(0, 200) : `HTTP ${status}` };
  // Codes come with and without leading zeros (`3001`, `errorCode=003001`).
  const code = first.code?.replace(/^0+(?=\d)/, '');
  const throttled = code === '3001' || /ThrottleExceeded/.test(first.message ?? '') || status === 429;
  if (throttled)
    return {
      code: code ?? '3001',
      message: `${first.type ?? 'Fault'}: ${first.message ?? 'throttled'}`,
      kind: 'rate_limited',
      retryAfterMs: QBO_THROTTLE_WAIT_MS,
    };
  const kind = status >= 500 ? undefined : code ? KIND_BY_FAULT_CODE[code] : undefined;
  return { code, message: `${first.type ?? 'Fault'}: ${first.message ?? ''}`, kind };
}

/** A requestid (40 hex chars, within QuickBooks' 50) from the case and step: stable across retries. */
export function qboRequestId(workflowId: string, step: string, extra: string[] = []): string {
  return stableKey(['qbo', workflowId, step, ...extra], 40);
}

/**
 * At most `limit` requests in flight per realm in this process (Intuit: 10 concurrent requests per
 * realm and app; more are answered 429). Shared by every client in the process for the same realm;
 * it cannot see other processes, so with N worker processes set QBO_MAX_CONCURRENT_REQUESTS to
 * 10 / N (docs/connectors.md). Throttles that still happen are RateLimitedError, retried after 60 s.
 */
class RealmGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(public limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` never exceeds the limit.
      if (next) next();
      else this.active--;
    }
  }
}
const gates = new Map<string, RealmGate>();
function gateFor(realm: string, limit: number): RealmGate {
  let g = gates.get(realm);
  if (!g) gates.set(realm, (g = new RealmGate(limit)));
  g.limit = limit;
  return g;
}

/** Rows per query page: QuickBooks' maximum MAXRESULTS. */
export const QBO_PAGE_SIZE = 1000;

/** Escapes a value for a QuickBooks query string literal. */
const q = (v: string) => v.replace(/\\/g, '\\\\').replace(/'/g, "\\'");

export class QuickBooksClient {
  private readonly http: HttpClient;
  readonly realmId: string;
  readonly refundDepositAccountId: string;
  readonly refundItemId: string;
  private readonly appBase: string;
  private readonly gate: RealmGate;
  constructor(
    cfg: ConnectorsConfig['quickbooks'],
    opts: { fetch?: typeof fetch; timeoutMs?: number; maxConcurrentRequests?: number } = {},
  ) {
    this.realmId = cfg.realmId;
    this.gate = gateFor(`${cfg.baseUrl}|${cfg.realmId}`, opts.maxConcurrentRequests ?? cfg.maxConcurrentRequests ?? 10);
    this.refundDepositAccountId = cfg.refundDepositAccountId;
    this.refundItemId = cfg.refundItemId;
    this.appBase = cfg.sandbox ? `${cfg.baseUrl}/app` : 'https://app.qbo.intuit.com/app';
    this.http = new HttpClient({
      system: 'quickbooks',
      baseUrl: `${cfg.baseUrl}/v3/company/${encodeURIComponent(cfg.realmId)}`,
      headers: () => ({ authorization: `Bearer ${cfg.token}` }),
      describeError: describeQuickBooksError,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    });
  }

  private request<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    return this.gate.run(() => this.http.request<T>(req));
  }

  /** The QuickBooks web app link for a transaction (what people click in a note). */
  recordUrl(entity: QboEntity, id: string): string {
    return `${this.appBase}/${SEGMENT[entity]}?txnId=${encodeURIComponent(id)}`;
  }

  async get<T>(entity: QboEntity, id: string): Promise<T> {
    if (!/^\d+$/.test(id)) throw new ValidationError({ system: 'quickbooks' }, `${entity} id must be numeric`);
    const res = await this.request<Record<string, T>>({
      method: 'GET',
      path: `/${SEGMENT[entity]}/${id}`,
      query: { minorversion: QBO_MINOR_VERSION },
    });
    return res.body[entity];
  }

  /** `get`, but `undefined` when QuickBooks says the object does not exist (Fault 610). */
  async find<T>(entity: QboEntity, id: string): Promise<T | undefined> {
    try {
      return await this.get<T>(entity, id);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * `select * from <entity> where a = 'x' and ... startposition s maxresults m`, paged until `max`
   * rows or the last page (a page shorter than asked). Values are escaped here; a condition's
   * operator may be given as `{ op: '>', value }` (e.g. `MetaData.LastUpdatedTime`).
   */
  async query<T>(
    entity: QboEntity,
    where: Record<string, string | { op: '=' | '>' | '<' | '>=' | '<='; value: string }> = {},
    max = 100,
  ): Promise<T[]> {
    const conds = Object.entries(where).map(([k, v]) => (typeof v === 'string' ? `${k} = '${q(v)}'` : `${k} ${v.op} '${q(v.value)}'`));
    const base = `select * from ${entity}${conds.length ? ` where ${conds.join(' and ')}` : ''}`;
    const rows: T[] = [];
    for (let start = 1; rows.length < max;) {
      const size = Math.min(QBO_PAGE_SIZE, max - rows.length);
      const query = `${base} startposition ${start} maxresults ${size}`;
      const res = await this.request<{ QueryResponse?: Record<string, T[]> }>({
        method: 'GET',
        path: '/query',
        query: { query, minorversion: QBO_MINOR_VERSION },
      });
      const page = res.body.QueryResponse?.[entity] ?? [];
      rows.push(...page);
      if (page.length < size) break;
      start += page.length;
    }
    return rows;
  }

  /** Every row that matches (all pages). */
  queryAll<T>(entity: QboEntity, where: Parameters<QuickBooksClient['query']>[1] = {}): Promise<T[]> {
    return this.query<T>(entity, where, Number.POSITIVE_INFINITY);
  }

  /**
   * The customer's payments that apply an amount to the invoice `invoiceId`. QuickBooks cannot
   * filter payments by what they are linked to, so, as Intuit documents linked transactions, the
   * customer's payments are queried (`CustomerRef`) and kept when a line links the invoice
   * (`Line[].LinkedTxn` with `TxnType` `Invoice` and its `Id`).
   */
  async paymentsForInvoice(customerId: string, invoiceId: string): Promise<QboPayment[]> {
    const payments = await this.queryAll<QboPayment>('Payment', { CustomerRef: customerId });
    return payments.filter((p) =>
      (p.Line ?? []).some((l) => (l.LinkedTxn ?? []).some((t) => t.TxnType === 'Invoice' && t.TxnId === invoiceId)),
    );
  }

  async findInvoiceByDocNumber(docNumber: string): Promise<QboInvoice | undefined> {
    return (await this.query<QboInvoice>('Invoice', { DocNumber: docNumber }, 1))[0];
  }

  /** POST /<entity>/<id>/send?sendTo=: empty body, octet-stream (a JSON content type fails). */
  async send<T>(entity: 'Invoice' | 'Payment' | 'RefundReceipt' | 'CreditMemo', id: string, sendTo: string, requestId: string): Promise<T> {
    const res = await this.request<Record<string, T>>({
      method: 'POST',
      path: `/${SEGMENT[entity]}/${id}/send`,
      query: { sendTo, requestid: requestId, minorversion: QBO_MINOR_VERSION },
      headers: { 'content-type': 'application/octet-stream' },
      body: '',
    });
    return res.body[entity];
  }

  async create<T>(entity: 'RefundReceipt' | 'CreditMemo', body: Record<string, unknown>, requestId: string): Promise<T> {
    const res = await this.request<Record<string, T>>({
      method: 'POST',
      path: `/${SEGMENT[entity]}`,
      query: { requestid: requestId, minorversion: QBO_MINOR_VERSION },
      // Notes and memos may carry a caller's words: encoded here, the one place QuickBooks documents are written.
      body: quickbooksBody(body),
    });
    return res.body[entity];
  }

  /**
   * Applies a credit memo to an invoice, as Intuit documents it: a Payment of TotalAmt 0 whose one
   * line links the invoice and another the credit memo, each with the amount applied. The invoice's
   * Balance and the memo's remaining credit go down by it.
   */
  async applyCreditMemo(
    p: { customerId: string; currency: string; invoiceId: string; creditMemoId: string; amount: number; privateNote?: string },
    requestId: string,
  ): Promise<QboPayment> {
    const res = await this.request<{ Payment: QboPayment }>({
      method: 'POST',
      path: '/payment',
      query: { requestid: requestId, minorversion: QBO_MINOR_VERSION },
      body: quickbooksBody({
        CustomerRef: { value: p.customerId },
        CurrencyRef: { value: p.currency },
        TotalAmt: 0,
        Line: [
          { Amount: p.amount, LinkedTxn: [{ TxnId: p.invoiceId, TxnType: 'Invoice' }] },
          { Amount: p.amount, LinkedTxn: [{ TxnId: p.creditMemoId, TxnType: 'CreditMemo' }] },
        ],
        ...(p.privateNote ? { PrivateNote: p.privateNote.slice(0, 4000) } : {}),
      }),
    });
    return res.body.Payment;
  }

  /** Sparse update: only the given fields change. A stale SyncToken throws StaleSyncTokenError (5010). */
  async sparseUpdateCustomer(id: string, syncToken: string, fields: Partial<QboCustomer>, requestId: string): Promise<QboCustomer> {
    const res = await this.request<{ Customer: QboCustomer }>({
      method: 'POST',
      path: '/customer',
      query: { requestid: requestId, minorversion: QBO_MINOR_VERSION },
      body: quickbooksBody({ ...fields, Id: id, SyncToken: syncToken, sparse: true }),
    });
    return res.body.Customer;
  }

  async pdf(entity: 'Invoice' | 'RefundReceipt' | 'CreditMemo', id: string): Promise<Buffer> {
    const res = await this.request<Buffer>({
      method: 'GET',
      path: `/${SEGMENT[entity]}/${id}/pdf`,
      query: { minorversion: QBO_MINOR_VERSION },
      headers: { accept: 'application/pdf' },
      responseType: 'buffer',
    });
    return res.body;
  }
}
