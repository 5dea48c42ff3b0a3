/**
 * QuickBooks Payments API v4 (charges and their refunds), as Intuit documents it. Production base
 * `https://api.intuit.com/quickbooks/v4/payments/`, Intuit's sandbox
 * `https://sandbox.api.intuit.com/quickbooks/v4/payments/` (Intuit's Java SDK, payments-api
 * `payment.properties`); the same OAuth token as the Accounting API (Intuit, "Process a credit
 * transaction": the Payments and QuickBooks connections must be on the same company).
 *
 * - `POST /quickbooks/v4/payments/charges/{id}/refunds` with a `Request-Id` header (the Java SDK
 *   sends one on every request) and `{"amount": 5.0, "description", "context": {...}}`; the answer
 *   is a Refund `{"created","status":"ISSUED","amount":"5.00","description","id","context",...}`
 *   (Intuit, "Refund charges", sample request and response). Refund statuses in Intuit's SDK:
 *   ISSUED, DECLINED, SETTLED, VOIDED, SUCCEEDED (`com.intuit.payment.data.Refund.RefundStatus`).
 * - `GET /quickbooks/v4/payments/charges/{id}/refunds/{refundId}` (the SDK's `getRefund`) and
 *   `GET /quickbooks/v4/payments/charges/{id}` (`retrieve`).
 * - Errors as `{"errors":[{"code","type","message","detail","moreInfo","infoLink"}]}` (the SDK's
 *   `Errors` / `Error` entities). The codes below are the sandbox's own; clients classify by status.
 *
 * A repeated `Request-Id` answers the first result again and refunds nothing more (what Intuit's
 * `Request-Id` is for). Refunds on a charge never exceed what it charged. Tests make a charge's next
 * refunds declined or not final yet (`PENDING`, resolved after some reads) through the control routes.
 * It must not import service code.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { SandboxSystem } from '../core';
import { SANDBOX_CREDENTIALS } from '../support';

type Json = Record<string, unknown>;

/** A card charge made through QuickBooks Payments, and the QuickBooks Payment that records it (its `CCTransId`). */
export interface SeedCharge {
  id: string;
  /** QuickBooks Payment.Id whose `CreditCardPayment.CreditChargeResponse.CCTransId` is this charge. */
  paymentId: string;
  amountMinor: number;
  currency: string;
  created: string;
}

/**
 * Acme (ACME-001) pays through QuickBooks Payments: its seeded payments are card charges
 * (docs/sandbox-seed.md). Other QuickBooks payments carry no charge (paid another way).
 */
export const SEED_CHARGES: SeedCharge[] = [
  { id: 'EMU441923001', paymentId: '3001', amountMinor: 45000, currency: 'USD', created: '2026-09-15T17:02:11Z' },
  { id: 'EMU441923002', paymentId: '3002', amountMinor: 250000, currency: 'USD', created: '2026-09-15T17:05:40Z' },
  { id: 'EMU441923003', paymentId: '3003', amountMinor: 45000, currency: 'USD', created: '2026-09-16T09:12:03Z' },
];

interface Charge {
  id: string;
  amountMinor: number;
  currency: string;
  created: string;
  refunds: Refund[];
  /** Next refund requests answer this status (DECLINED, PENDING); cleared by the control route. */
  nextRefundStatus?: 'DECLINED' | 'PENDING';
  /** A PENDING refund turns ISSUED after this many reads (GET). */
  pendingReads: number;
}

interface Refund {
  id: string;
  created: string;
  status: string;
  amountMinor: number;
  description?: string;
  context?: unknown;
  reads: number;
}

const decimal = (minor: number) => (minor / 100).toFixed(2);

function refundBody(r: Refund): Json {
  return {
    created: r.created,
    status: r.status,
    amount: decimal(r.amountMinor),
    ...(r.description !== undefined ? { description: r.description } : {}),
    id: r.id,
    context: { ...((r.context as Json | undefined) ?? {}), tax: '0.00', recurring: false },
    type: 'CREDIT_CARD',
  };
}

function error(res: Response, status: number, code: string, type: string, message: string, detail = message, moreInfo?: string) {
  res.status(status).json({
    errors: [
      {
        code,
        type,
        message,
        detail,
        ...(moreInfo ? { moreInfo } : {}),
        infoLink: 'https://developer.intuit.com/v2/docs?redirectID=PayErrors',
      },
    ],
  });
}

export function createQuickBooksPaymentsSystem(): SandboxSystem {
  let charges = new Map<string, Charge>();
  /** Request-Id -> the first answer (status and body) to it. */
  let answered = new Map<string, { status: number; body: unknown; chargeId: string }>();
  let nextRefund = 1;

  const reset = () => {
    charges = new Map(SEED_CHARGES.map((c) => [c.id, { ...c, refunds: [], pendingReads: 2 }]));
    answered = new Map();
    nextRefund = 1;
  };
  reset();

  const auth = (req: Request, res: Response): boolean => {
    if (req.headers.authorization === `Bearer ${SANDBOX_CREDENTIALS.quickbooks}`) return true;
    error(res, 401, 'AuthenticationFailed', 'SYSTEM_ERROR', 'Authentication failed', 'a Bearer access token is required');
    return false;
  };
  const refunded = (c: Charge) => c.refunds.filter((r) => r.status !== 'DECLINED').reduce((s, r) => s + r.amountMinor, 0);

  const router = (): Router => {
    const r = express.Router();
    r.use(express.json());
    const base = '/quickbooks/v4/payments';

    r.get(`${base}/charges/:id`, (req, res) => {
      if (!auth(req, res)) return;
      const c = charges.get(req.params.id);
      if (!c) return error(res, 404, 'PMT-4000', 'invalid_request', 'charge not found', `no charge ${req.params.id}`, 'id');
      res.json({
        id: c.id,
        created: c.created,
        status: 'CAPTURED',
        amount: decimal(c.amountMinor),
        currency: c.currency,
        capture: true,
        refundDetail: { totalRefunded: decimal(refunded(c)) },
      });
    });

    r.post(`${base}/charges/:id/refunds`, (req, res) => {
      if (!auth(req, res)) return;
      const requestId = req.header('request-id');
      if (!requestId) return error(res, 400, 'PMT-4002', 'invalid_request', 'Request-Id header is required');
      const first = answered.get(requestId);
      if (first) {
        // The same Request-Id again: the first result, nothing refunded twice.
        if (first.chargeId !== req.params.id)
          return error(res, 400, 'PMT-4003', 'invalid_request', 'Request-Id was used for another request');
        return void res.status(first.status).json(first.body);
      }
      const answer = (status: number, body: unknown) => {
        answered.set(requestId, { status, body, chargeId: req.params.id });
        res.status(status).json(body);
      };
      const c = charges.get(req.params.id);
      if (!c) {
        return answer(404, {
          errors: [
            {
              code: 'PMT-4000',
              type: 'invalid_request',
              message: 'charge not found',
              detail: `no charge ${req.params.id}`,
              moreInfo: 'id',
            },
          ],
        });
      }
      const b = (req.body ?? {}) as { amount?: unknown; description?: unknown; context?: unknown };
      const amount = typeof b.amount === 'string' ? Number(b.amount) : b.amount;
      if (
        typeof amount !== 'number' ||
        !Number.isFinite(amount) ||
        amount <= 0 ||
        Math.round(amount * 100) !== Number((amount * 100).toFixed(6))
      )
        return answer(400, {
          errors: [
            {
              code: 'PMT-4000',
              type: 'invalid_request',
              message: 'amount is invalid',
              detail: 'amount must be a positive decimal with at most 2 places',
              moreInfo: 'amount',
            },
          ],
        });
      const minor = Math.round(amount * 100);
      if (refunded(c) + minor > c.amountMinor)
        return answer(400, {
          errors: [
            {
              code: 'PMT-6000',
              type: 'invalid_request',
              message: 'refund amount exceeds the charge',
              detail: `charge ${c.id} has ${decimal(c.amountMinor - refunded(c))} left to refund`,
              moreInfo: 'amount',
            },
          ],
        });
      const refund: Refund = {
        id: `RFD${String(nextRefund++).padStart(9, '0')}`,
        created: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        status: c.nextRefundStatus ?? 'ISSUED',
        amountMinor: minor,
        ...(typeof b.description === 'string' ? { description: b.description } : {}),
        ...(b.context !== undefined ? { context: b.context } : {}),
        reads: 0,
      };
      c.refunds.push(refund);
      answer(201, refundBody(refund));
    });

    r.get(`${base}/charges/:id/refunds/:refundId`, (req, res) => {
      if (!auth(req, res)) return;
      const c = charges.get(req.params.id);
      const refund = c?.refunds.find((x) => x.id === req.params.refundId);
      if (!c || !refund)
        return error(
          res,
          404,
          'PMT-4000',
          'invalid_request',
          'refund not found',
          `no refund ${req.params.refundId} on charge ${req.params.id}`,
        );
      refund.reads++;
      if (refund.status === 'PENDING' && refund.reads >= c.pendingReads) refund.status = 'ISSUED';
      res.json(refundBody(refund));
    });
    return r;
  };

  return {
    name: 'quickbooks-payments',
    title: 'QuickBooks Payments',
    router,
    faultBody: (status) => ({
      errors: [
        status === 429
          ? { code: 'PMT-5000', type: 'rate_limit', message: 'Too many requests', detail: 'throttled' }
          : { code: 'PMT-5000', type: 'system_error', message: 'An unexpected error occurred', detail: 'service unavailable' },
      ],
    }),
    reset,
    controlRouter() {
      const r = express.Router();
      r.use(express.json());
      r.get('/charges', (_req, res) =>
        res.json(
          [...charges.values()].map((c) => ({
            id: c.id,
            amountMinor: c.amountMinor,
            currency: c.currency,
            refunds: c.refunds.map(refundBody),
          })),
        ),
      );
      // Tests: a charge of their own (then seed a paid invoice whose Payment carries it as CCTransId).
      r.post('/charges', (req, res) => {
        const b = (req.body ?? {}) as { id?: string; amountMinor?: number; currency?: string };
        if (!Number.isInteger(b.amountMinor) || (b.amountMinor as number) <= 0)
          return void res.status(400).json({ error: 'amountMinor must be a positive integer' });
        const id = b.id ?? `EMU${Date.now()}${Math.floor(Math.random() * 1000)}`;
        charges.set(id, {
          id,
          amountMinor: b.amountMinor as number,
          currency: b.currency ?? 'USD',
          created: new Date().toISOString(),
          refunds: [],
          pendingReads: 2,
        });
        res.json({ id });
      });
      // Tests: the charge's next refunds are declined, or not final until read `pendingReads` times.
      r.post('/charges/:id/behaviour', (req, res) => {
        const c = charges.get(req.params.id);
        if (!c) return void res.status(404).json({ error: 'no such charge' });
        const b = (req.body ?? {}) as { nextRefundStatus?: 'DECLINED' | 'PENDING' | null; pendingReads?: number };
        if (b.nextRefundStatus === null) delete c.nextRefundStatus;
        else if (b.nextRefundStatus) c.nextRefundStatus = b.nextRefundStatus;
        if (b.pendingReads !== undefined) c.pendingReads = b.pendingReads;
        res.json({ id: c.id, nextRefundStatus: c.nextRefundStatus ?? null, pendingReads: c.pendingReads });
      });
      return r;
    },
  };
}
