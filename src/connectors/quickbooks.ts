/**
 * QuickBooks Online Accounting API v3 client (our own, over fetch). The maintained npm options
 * (`node-quickbooks`, `intuit-oauth`) are callback-style, untyped, or only cover OAuth; the calls we
 * need are few and plain REST. Every request sends `minorversion=75`; every write sends a
 * `requestid` (<= 50 chars) so QuickBooks replays the first response instead of writing twice.
 * Errors come in the `Fault` envelope and are classified by Fault code.
 */
import type { ConnectorsConfig } from '../config';
import { HttpClient, stableKey, type ErrorDescription } from './http';
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
}

/** Entities we read, send or create, with their URL segment. */
export type QboEntity = 'Invoice' | 'Customer' | 'Payment' | 'RefundReceipt' | 'CreditMemo';
const SEGMENT: Record<QboEntity, string> = { Invoice: 'invoice', Customer: 'customer', Payment: 'payment', RefundReceipt: 'refundreceipt', CreditMemo: 'creditmemo' };

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
  '120': 'auth',
  '3200': 'auth',
  '003001': 'rate_limited',
};

export function describeQuickBooksError(status: number, body: unknown): ErrorDescription {
  const fault = (body as { Fault?: { Error?: { Message?: string; Detail?: string; code?: string }[]; type?: string } } | undefined)?.Fault;
  const first = fault?.Error?.[0];
  if (!first) return { message: typeof body === 'string' ? body.slice(0, 200) : `HTTP ${status}` };
  const code = first.code;
  const kind = status >= 500 ? undefined : code ? KIND_BY_FAULT_CODE[code] : undefined;
  return { code, message: `${fault?.type ?? 'Fault'}: ${first.Message ?? ''}`, kind };
}

/** A requestid (40 hex chars, within QuickBooks' 50) from the case and step: stable across retries. */
export function qboRequestId(workflowId: string, step: string, extra: string[] = []): string {
  return stableKey(['qbo', workflowId, step, ...extra], 40);
}

/** Escapes a value for a QuickBooks query string literal. */
const q = (v: string) => v.replace(/\\/g, '\\\\').replace(/'/g, "\\'");

export class QuickBooksClient {
  private readonly http: HttpClient;
  readonly realmId: string;
  readonly refundDepositAccountId: string;
  readonly refundItemId: string;
  private readonly appBase: string;
  constructor(cfg: ConnectorsConfig['quickbooks'], opts: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.realmId = cfg.realmId;
    this.refundDepositAccountId = cfg.refundDepositAccountId;
    this.refundItemId = cfg.refundItemId;
    this.appBase = cfg.sandbox ? `${cfg.baseUrl}/app` : 'https://app.qbo.intuit.com/app';
    this.http = new HttpClient({
      system: 'quickbooks',
      baseUrl: `${cfg.baseUrl}/v3/company/${encodeURIComponent(cfg.realmId)}`,
      headers: () => ({ authorization: `Bearer ${cfg.token}` }),
      describeError: describeQuickBooksError,
      ...opts,
    });
  }

  /** The QuickBooks web app link for a transaction (what people click in a note). */
  recordUrl(entity: QboEntity, id: string): string {
    return `${this.appBase}/${SEGMENT[entity]}?txnId=${encodeURIComponent(id)}`;
  }

  async get<T>(entity: QboEntity, id: string): Promise<T> {
    if (!/^\d+$/.test(id)) throw new ValidationError({ system: 'quickbooks' }, `${entity} id must be numeric`);
    const res = await this.http.request<Record<string, T>>({ method: 'GET', path: `/${SEGMENT[entity]}/${id}`, query: { minorversion: QBO_MINOR_VERSION } });
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

  /** `select * from <entity> where a = 'x' and ...`: values are escaped here. */
  async query<T>(entity: QboEntity, where: Record<string, string> = {}, max = 100): Promise<T[]> {
    const conds = Object.entries(where).map(([k, v]) => `${k} = '${q(v)}'`);
    const query = `select * from ${entity}${conds.length ? ` where ${conds.join(' and ')}` : ''} maxresults ${max}`;
    const res = await this.http.request<{ QueryResponse: Record<string, T[]> }>({ method: 'GET', path: '/query', query: { query, minorversion: QBO_MINOR_VERSION } });
    return res.body.QueryResponse?.[entity] ?? [];
  }

  async findInvoiceByDocNumber(docNumber: string): Promise<QboInvoice | undefined> {
    return (await this.query<QboInvoice>('Invoice', { DocNumber: docNumber }, 1))[0];
  }

  /** POST /<entity>/<id>/send?sendTo=: empty body, octet-stream (a JSON content type fails). */
  async send<T>(entity: 'Invoice' | 'Payment' | 'RefundReceipt' | 'CreditMemo', id: string, sendTo: string, requestId: string): Promise<T> {
    const res = await this.http.request<Record<string, T>>({
      method: 'POST',
      path: `/${SEGMENT[entity]}/${id}/send`,
      query: { sendTo, requestid: requestId, minorversion: QBO_MINOR_VERSION },
      headers: { 'content-type': 'application/octet-stream' },
      body: '',
    });
    return res.body[entity];
  }

  async create<T>(entity: 'RefundReceipt' | 'CreditMemo', body: Record<string, unknown>, requestId: string): Promise<T> {
    const res = await this.http.request<Record<string, T>>({ method: 'POST', path: `/${SEGMENT[entity]}`, query: { requestid: requestId, minorversion: QBO_MINOR_VERSION }, body });
    return res.body[entity];
  }

  /** Sparse update: only the given fields change. A stale SyncToken throws StaleSyncTokenError (5010). */
  async sparseUpdateCustomer(id: string, syncToken: string, fields: Partial<QboCustomer>, requestId: string): Promise<QboCustomer> {
    const res = await this.http.request<{ Customer: QboCustomer }>({
      method: 'POST',
      path: '/customer',
      query: { requestid: requestId, minorversion: QBO_MINOR_VERSION },
      body: { ...fields, Id: id, SyncToken: syncToken, sparse: true },
    });
    return res.body.Customer;
  }

  async pdf(entity: 'Invoice' | 'RefundReceipt' | 'CreditMemo', id: string): Promise<Buffer> {
    const res = await this.http.request<Buffer>({ method: 'GET', path: `/${SEGMENT[entity]}/${id}/pdf`, query: { minorversion: QBO_MINOR_VERSION }, headers: { accept: 'application/pdf' }, responseType: 'buffer' });
    return res.body;
  }
}
