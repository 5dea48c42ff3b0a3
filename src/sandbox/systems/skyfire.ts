/**
 * Skyfire stand-in, documented endpoints only: create token (`kya`, `pay`, `kya+pay` / `kya-pay`),
 * wallet balance, charge (seller key), and a pay token's charges (buyer key). Auth is the
 * `skyfire-api-key` header, buyer and seller keys apart. A pay token reserves `tokenAmount` of the
 * wallet (`heldAmount`) while it can still be charged (until it expires plus the charge grace,
 * 24 h as Skyfire documents); money leaves the buyer's wallet only when the seller charges it.
 * There is no token listing: Skyfire documents none.
 *
 * Also here: a stand-in for the SELLER SERVICE's own API (`POST /seller-service/refunds`), the
 * party a refund's pay token is handed to (in `skyfire-pay-id`, as Skyfire's seller guides show).
 * It charges the token through the same charge logic a seller's call to `/api/v1/tokens/charge`
 * runs, after a delay, or never (control `POST /_sandbox/skyfire/seller {"mode","delayMs"}`).
 * Control: `POST /_sandbox/skyfire/wallet {"balance"}`, `POST /_sandbox/skyfire/settings {"chargeGraceSeconds"}` (a lost pay-token
 * create answer is the generic fault `{"dropNext":1,"nextMatch":"\"type\":\"pay\""}`).
 */
import { createHmac } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { SandboxSystem } from '../core';
import { SANDBOX_CREDENTIALS, fromMicros, toMicros, uuid } from '../support';

/** Seed: docs/sandbox-seed.md § Skyfire. */
export const SKYFIRE_SEED = {
  balance: '500.00',
  sellerServiceId: '3f8b7a52-1c2d-4e5f-9a6b-7c8d9e0f1a2b',
  minimumTokenAmount: '0.01',
  buyerAgentId: 'b0a1c2d3-0000-4000-8000-00000000b001',
  sellerAgentId: '5e11e700-0000-4000-8000-000000005e11',
};

interface TokenRow {
  tokenId: string;
  token: string;
  type: string;
  buyerTag: string | null;
  sellerServiceId: string;
  /** Micro-units; 0 for kya. */
  valueMicros: number;
  createdAt: number;
  /** Unix seconds. */
  expiresAt: number;
  chargedMicros: number;
  charges: { chargeId: string; amountMicros: number; createdAt: string }[];
}

type SellerMode = 'charge' | 'partial' | 'ignore';

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export function createSkyfireSystem(): SandboxSystem {
  let balanceMicros = 0;
  let tokens: TokenRow[] = [];
  /** Seconds after expiry a seller may still charge (Skyfire: 24 h). Tests shorten it. */
  let chargeGraceSeconds = 24 * 3600;
  let seller: { mode: SellerMode; delayMs: number } = { mode: 'charge', delayMs: 0 };
  /** Pay-token creates to apply and then answer with a closed connection (a lost answer on one endpoint). */
  const timers = new Set<NodeJS.Timeout>();
  const reset = () => {
    balanceMicros = toMicros(SKYFIRE_SEED.balance) ?? 0;
    tokens = [];
    chargeGraceSeconds = 24 * 3600;
    seller = { mode: 'charge', delayMs: 0 };
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };
  reset();

  const nowS = () => Math.floor(Date.now() / 1000);
  const chargeable = (t: TokenRow) => t.valueMicros > 0 && nowS() < t.expiresAt + chargeGraceSeconds;
  const heldMicros = () => tokens.filter(chargeable).reduce((sum, t) => sum + t.valueMicros - t.chargedMicros, 0);
  const sign = (head: string, body: string) => createHmac('sha256', 'skyfire-sandbox').update(`${head}.${body}`).digest('base64url');

  /** The seller's charge (POST /api/v1/tokens/charge): moves money from the buyer's wallet. */
  const charge = (jwt: string, chargeAmount: unknown): { status: number; body: Record<string, unknown> } => {
    const [head, body, sig] = jwt.split('.');
    const row = tokens.find((t) => t.token === jwt);
    if (!head || !body || sig !== sign(head, body) || !row)
      return { status: 401, body: { code: 'NOT_AUTHORIZED', message: 'Invalid token' } };
    if (row.valueMicros === 0) return { status: 400, body: { code: 'BAD_REQUEST', message: 'kya tokens cannot be charged' } };
    if (!chargeable(row)) return { status: 401, body: { code: 'NOT_AUTHORIZED', message: 'Token expired beyond the charge window' } };
    const remaining = row.valueMicros - row.chargedMicros;
    const m = chargeAmount === undefined ? remaining : typeof chargeAmount === 'string' ? toMicros(chargeAmount) : undefined;
    if (m === undefined || m <= 0)
      return {
        status: 422,
        body: {
          code: 'VALIDATION_ERROR',
          message: 'Request validation failed',
          details: { chargeAmount: { message: 'chargeAmount must be a positive decimal string' } },
        },
      };
    if (m > remaining)
      return { status: 402, body: { code: 'PAYMENT_ERROR', message: 'Charge amount exceeds the remaining token balance' } };
    row.chargedMicros += m;
    balanceMicros -= m;
    row.charges.push({ chargeId: uuid(), amountMicros: m, createdAt: new Date().toISOString() });
    return { status: 200, body: { amountCharged: fromMicros(m, 6), remainingBalance: fromMicros(row.valueMicros - row.chargedMicros, 6) } };
  };
  const error = (res: Response, status: number, code: string, message: string, details?: Record<string, { message: string }>) =>
    res.status(status).json({ code, message, ...(details ? { details } : {}) });

  const router = () => {
    const r = express.Router();
    // The seller service's own API (not Skyfire's): receives a refund's pay token and charges it.
    r.post('/seller-service/refunds', (req, res) => {
      const jwt = req.headers['skyfire-pay-id'];
      if (typeof jwt !== 'string' || !jwt) return void res.status(403).json({ error: 'Missing token in skyfire-pay-id header' });
      if (!tokens.some((t) => t.token === jwt)) return void res.status(401).json({ error: 'Invalid token' });
      if (seller.mode !== 'ignore') {
        const row = tokens.find((t) => t.token === jwt) as TokenRow;
        const amount = seller.mode === 'partial' ? fromMicros(Math.floor(row.valueMicros / 2), 6) : undefined;
        const timer = setTimeout(() => {
          timers.delete(timer);
          charge(jwt, amount);
        }, seller.delayMs);
        timers.add(timer);
      }
      res.status(202).json({ received: true });
    });

    r.use((req, res, next) => {
      const key = req.headers['skyfire-api-key'];
      if (!key) return error(res, 401, 'NOT_AUTHORIZED', 'Missing skyfire-api-key header');
      if (key !== SANDBOX_CREDENTIALS.skyfire && key !== SANDBOX_CREDENTIALS.skyfireSeller)
        return error(res, 401, 'NOT_AUTHORIZED', 'Invalid API key');
      // Keys are per role: only a seller charges, only the buyer creates tokens and reads its charges.
      const sellerPath = req.path === '/api/v1/tokens/charge';
      if ((key === SANDBOX_CREDENTIALS.skyfireSeller) !== sellerPath)
        return error(
          res,
          403,
          'FORBIDDEN',
          sellerPath ? 'Charging needs a seller agent API key' : 'This endpoint needs a buyer agent API key',
        );
      next();
    });

    r.get('/api/v1/agents/balance', (_req, res) => {
      const held = heldMicros();
      res.json({
        available: fromMicros(balanceMicros - held, 6),
        heldAmount: fromMicros(held, 6),
        pendingCharges: '0',
        pendingDeposits: '0',
      });
    });

    r.post('/api/v1/tokens', (req: Request, res: Response) => {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const details: Record<string, { message: string }> = {};
      const type = String(b.type ?? '');
      if (!['kya', 'pay', 'kya+pay', 'kya-pay'].includes(type)) details.type = { message: 'type must be one of kya, pay, kya+pay' };
      const hasService = typeof b.sellerServiceId === 'string';
      if (hasService === (typeof b.sellerDomainOrUrl === 'string'))
        details.sellerServiceId = { message: 'provide exactly one of sellerServiceId or sellerDomainOrUrl' };
      let valueMicros = 0;
      const isPay = type !== 'kya';
      if (isPay) {
        const m = typeof b.tokenAmount === 'string' ? toMicros(b.tokenAmount) : undefined;
        if (m === undefined || m <= 0) details.tokenAmount = { message: 'tokenAmount must be a positive decimal string' };
        else if (m < (toMicros(SKYFIRE_SEED.minimumTokenAmount) ?? 0))
          details.tokenAmount = { message: `tokenAmount is below the seller minimum ${SKYFIRE_SEED.minimumTokenAmount}` };
        else valueMicros = m;
      }
      const maxSeconds = hasService ? 24 * 3600 : 300;
      let expiresAt = nowS() + maxSeconds;
      if (b.expiresAt !== undefined) {
        const e = Number(b.expiresAt);
        if (!Number.isInteger(e) || e < nowS() + 10 || e > nowS() + maxSeconds)
          details.expiresAt = { message: `expiresAt must be between 10 s and ${maxSeconds} s from now (Unix seconds)` };
        else expiresAt = e;
      }
      if (Object.keys(details).length > 0) return error(res, 422, 'VALIDATION_ERROR', 'Request validation failed', details);
      if (hasService && b.sellerServiceId !== SKYFIRE_SEED.sellerServiceId) return error(res, 404, 'NOT_FOUND', 'Seller service not found');
      if (isPay && valueMicros > balanceMicros - heldMicros())
        return error(res, 402, 'PAYMENT_ERROR', 'Insufficient wallet balance to create token');

      const tokenId = uuid();
      const claims = {
        iss: 'https://app-sandbox.skyfire.xyz',
        iat: nowS(),
        exp: expiresAt,
        jti: tokenId,
        sub: SKYFIRE_SEED.buyerAgentId,
        aud: SKYFIRE_SEED.sellerAgentId,
        env: 'sandbox',
        ver: '1',
        ssi: b.sellerServiceId ?? null,
        btg: b.buyerTag ?? null,
        ...(isPay ? { amount: fromMicros(valueMicros, 6), cur: 'USD', value: String(valueMicros), sps: 'PAY_PER_USE' } : {}),
        ...(type.startsWith('kya') ? { bid: {}, aid: { creation_ip: req.ip ?? '127.0.0.1' } } : {}),
      };
      const head = b64url({ alg: 'ES256', typ: `${type.replace('-', '+')}+jwt`, kid: 'sandbox' });
      const body = b64url(claims);
      // Not a real ES256 signature: the sandbox is not a token issuer anyone should trust.
      const sig = sign(head, body);
      const token = `${head}.${body}.${sig}`;
      tokens.push({
        tokenId,
        token,
        type,
        buyerTag: typeof b.buyerTag === 'string' ? b.buyerTag : null,
        sellerServiceId: String(b.sellerServiceId ?? ''),
        valueMicros: isPay ? valueMicros : 0,
        createdAt: Date.now(),
        expiresAt,
        chargedMicros: 0,
        charges: [],
      });
      res.json({ token });
    });

    r.post('/api/v1/tokens/charge', (req, res) => {
      const b = (req.body ?? {}) as { token?: unknown; chargeAmount?: unknown };
      if (typeof b.token !== 'string')
        return error(res, 422, 'VALIDATION_ERROR', 'Request validation failed', { token: { message: 'token is required' } });
      const out = charge(b.token, b.chargeAmount);
      res.status(out.status).json(out.body);
    });

    // A pay token's charges, for its buyer. Skyfire documents the endpoint (Get Token Charges); the
    // response fields here are our reading and unconfirmed (docs/connectors.md).
    r.get('/api/v1/tokens/:tokenId/charges', (req, res) => {
      const row = tokens.find((t) => t.tokenId === req.params.tokenId);
      if (!row) return error(res, 404, 'NOT_FOUND', 'Token not found');
      if (row.valueMicros === 0) return error(res, 400, 'BAD_REQUEST', 'Only pay and kya-pay tokens have charges');
      res.json({
        tokenId: row.tokenId,
        tokenAmount: fromMicros(row.valueMicros, 6),
        chargedAmount: fromMicros(row.chargedMicros, 6),
        remainingBalance: fromMicros(row.valueMicros - row.chargedMicros, 6),
        charges: row.charges.map((c) => ({ chargeId: c.chargeId, amount: fromMicros(c.amountMicros, 6), createdAt: c.createdAt })),
      });
    });
    return r;
  };

  return {
    name: 'skyfire',
    title: 'Skyfire',
    router,
    faultBody: (status) =>
      status === 429
        ? { code: 'TOO_MANY_REQUESTS', message: 'Rate limit exceeded' }
        : { code: 'INTERNAL_SERVER_ERROR', message: 'Service unavailable' },
    reset,
    controlRouter() {
      const r = express.Router();
      r.use(express.json());
      r.post('/wallet', (req, res) => {
        const m = toMicros(String((req.body as { balance?: unknown })?.balance ?? ''));
        if (m === undefined) return void res.status(400).json({ error: 'balance must be a decimal string, e.g. "5.00"' });
        balanceMicros = m;
        res.json({ balance: fromMicros(balanceMicros), heldAmount: fromMicros(heldMicros()) });
      });
      r.get('/tokens', (_req, res) => res.json(tokens.map(({ token: _t, ...rest }) => rest)));
      r.post('/settings', (req, res) => {
        const g = Number((req.body as { chargeGraceSeconds?: unknown }).chargeGraceSeconds);
        if (Number.isFinite(g) && g >= 0) chargeGraceSeconds = g;
        res.json({ chargeGraceSeconds });
      });
      r.post('/seller', (req, res) => {
        const b = req.body as { mode?: SellerMode; delayMs?: number };
        if (b.mode && !['charge', 'partial', 'ignore'].includes(b.mode))
          return void res.status(400).json({ error: 'mode is charge, partial or ignore' });
        seller = { mode: b.mode ?? seller.mode, delayMs: Number.isFinite(b.delayMs) ? Number(b.delayMs) : seller.delayMs };
        res.json(seller);
      });
      return r;
    },
  };
}
