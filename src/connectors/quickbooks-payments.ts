/**
 * QuickBooks Payments API v4 client (our own, over fetch): the refund of a card charge and the read
 * of a refund. What it relies on, and where it is documented:
 *
 * - Base URL `https://api.intuit.com/quickbooks/v4/payments` in production, and
 *   `https://sandbox.api.intuit.com/quickbooks/v4/payments` for Intuit's sandbox companies (Intuit's
 *   Java SDK, payments-api `payment.properties`), called with the Accounting API's OAuth token
 *   (Intuit, "Process a credit transaction": one connection with both scopes, same company).
 * - `POST /charges/{id}/refunds` with `{"amount", "description", "context"}`; the answer is a Refund
 *   `{"id","created","status","amount":"5.00","description","context","type"}` (Intuit, "Refund
 *   charges", sample request and response). Statuses (the SDK's `Refund.RefundStatus`): ISSUED,
 *   DECLINED, SETTLED, VOIDED, SUCCEEDED; Intuit decides between a void and a refund itself
 *   ("Identify charge transactions": both go to `charges/{id}/refunds`).
 * - A `Request-Id` header on every request (the SDK's `HttpRequestClient` sends
 *   `RequestContext.getRequestId()`); a repeated Request-Id returns the first result instead of a
 *   second refund, so a retry, a new worker or a reset that sends the same one refunds once (as
 *   Intuit documents `requestid`: "the service sends the same response as it did for the original
 *   request", at most 50 characters; Intuit Developer blog, 2015; not re-read for Payments).
 * - `GET /charges/{id}/refunds/{refundId}` (the SDK's `ChargeService.getRefund`).
 * - Errors: `{"errors":[{"code","type","message","detail","moreInfo","infoLink"}]}` (the SDK's
 *   `Errors` / `Error`); classified by HTTP status (4xx = Intuit said no, 5xx / timeout = unknown).
 *
 * The charge of a QuickBooks Payment is its `CreditCardPayment.CreditChargeResponse.CCTransId`
 * (Accounting API Payment entity), read by the money activities.
 */
import type { ConnectorsConfig } from '../config/types';
import { HttpClient, type ErrorDescription } from './http';
import { ValidationError } from './errors';

/** A refund as the Payments API answers it (amount is a decimal string). */
export interface PaymentsRefund {
  id: string;
  status: string;
  amount: string;
  created?: string;
  description?: string;
  type?: string;
}

/** Statuses after which the money is on its way back to the card (or the charge was voided). */
export const REFUND_RETURNED_STATUSES: ReadonlySet<string> = new Set(['ISSUED', 'SUCCEEDED', 'SETTLED', 'VOIDED']);
export const REFUND_DECLINED_STATUS = 'DECLINED';

export function describePaymentsError(status: number, body: unknown): ErrorDescription {
  const first = (body as { errors?: { code?: string; type?: string; message?: string; detail?: string }[] } | undefined)?.errors?.[0];
  if (!first) return { message: typeof body === 'string' ? body.slice(0, 200) : `HTTP ${status}` };
  return { code: first.code, message: `${first.type ?? 'error'}: ${first.message ?? ''}${first.detail ? ` (${first.detail})` : ''}` };
}

export class QuickBooksPaymentsClient {
  private readonly http: HttpClient;
  constructor(cfg: ConnectorsConfig['quickbooks'], opts: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.http = new HttpClient({
      system: 'quickbooks',
      baseUrl: `${cfg.paymentsBaseUrl}/quickbooks/v4/payments`,
      headers: () => ({ authorization: `Bearer ${cfg.token}` }),
      describeError: describePaymentsError,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    });
  }

  /** Refunds `amount` (a decimal string, e.g. "450.00") of the charge; the same `requestId` never refunds twice. */
  async refundCharge(chargeId: string, input: { amount: string; description?: string }, requestId: string): Promise<PaymentsRefund> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(chargeId)) throw new ValidationError({ system: 'quickbooks' }, 'charge id is malformed');
    const res = await this.http.request<PaymentsRefund>({
      method: 'POST',
      path: `/charges/${encodeURIComponent(chargeId)}/refunds`,
      headers: { 'request-id': requestId },
      // A decimal string keeps the minor units exact (Intuit's answers carry them so; its sample request
      // shows a number, which the sandbox accepts too).
      body: {
        amount: input.amount,
        ...(input.description ? { description: input.description.slice(0, 4000) } : {}),
        context: { recurring: false },
      },
    });
    return res.body;
  }

  async getRefund(chargeId: string, refundId: string, requestId: string): Promise<PaymentsRefund> {
    const res = await this.http.request<PaymentsRefund>({
      method: 'GET',
      path: `/charges/${encodeURIComponent(chargeId)}/refunds/${encodeURIComponent(refundId)}`,
      headers: { 'request-id': requestId },
    });
    return res.body;
  }
}
