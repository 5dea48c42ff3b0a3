/**
 * Skyfire buyer API stand-in: create token (`kya`, `pay`, `kya+pay` / `kya-pay`), wallet balance,
 * and a token listing by buyerTag (reconciliation). Auth is the `skyfire-api-key` header. Pay
 * tokens reserve wallet funds (`heldAmount`) until they expire, as on the real network, so a
 * duplicate create is visible in the balance. Control: `POST /_sandbox/skyfire/wallet {"balance"}`.
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
}

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export function createSkyfireSystem(): SandboxSystem {
  let balanceMicros = 0;
  let tokens: TokenRow[] = [];
  const reset = () => {
    balanceMicros = toMicros(SKYFIRE_SEED.balance) ?? 0;
    tokens = [];
  };
  reset();

  const nowS = () => Math.floor(Date.now() / 1000);
  const heldMicros = () => tokens.filter((t) => t.expiresAt > nowS()).reduce((sum, t) => sum + t.valueMicros, 0);
  const error = (res: Response, status: number, code: string, message: string, details?: Record<string, { message: string }>) =>
    res.status(status).json({ code, message, ...(details ? { details } : {}) });

  const router = () => {
    const r = express.Router();
    r.use((req, res, next) => {
      const key = req.headers['skyfire-api-key'];
      if (!key) return error(res, 401, 'NOT_AUTHORIZED', 'Missing skyfire-api-key header');
      if (key !== SANDBOX_CREDENTIALS.skyfire) return error(res, 401, 'NOT_AUTHORIZED', 'Invalid API key');
      next();
    });

    r.get('/api/v1/agents/balance', (_req, res) => {
      const held = heldMicros();
      res.json({ available: fromMicros(balanceMicros - held, 6), heldAmount: fromMicros(held, 6), pendingCharges: '0', pendingDeposits: '0' });
    });

    r.post('/api/v1/tokens', (req: Request, res: Response) => {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const details: Record<string, { message: string }> = {};
      const type = String(b.type ?? '');
      if (!['kya', 'pay', 'kya+pay', 'kya-pay'].includes(type)) details.type = { message: 'type must be one of kya, pay, kya+pay' };
      const hasService = typeof b.sellerServiceId === 'string';
      if (hasService === (typeof b.sellerDomainOrUrl === 'string')) details.sellerServiceId = { message: 'provide exactly one of sellerServiceId or sellerDomainOrUrl' };
      let valueMicros = 0;
      const isPay = type !== 'kya';
      if (isPay) {
        const m = typeof b.tokenAmount === 'string' ? toMicros(b.tokenAmount) : undefined;
        if (m === undefined || m <= 0) details.tokenAmount = { message: 'tokenAmount must be a positive decimal string' };
        else if (m < (toMicros(SKYFIRE_SEED.minimumTokenAmount) ?? 0)) details.tokenAmount = { message: `tokenAmount is below the seller minimum ${SKYFIRE_SEED.minimumTokenAmount}` };
        else valueMicros = m;
      }
      const maxSeconds = hasService ? 24 * 3600 : 300;
      let expiresAt = nowS() + maxSeconds;
      if (b.expiresAt !== undefined) {
        const e = Number(b.expiresAt);
        if (!Number.isInteger(e) || e < nowS() + 10 || e > nowS() + maxSeconds) details.expiresAt = { message: `expiresAt must be between 10 s and ${maxSeconds} s from now (Unix seconds)` };
        else expiresAt = e;
      }
      if (Object.keys(details).length > 0) return error(res, 422, 'VALIDATION_ERROR', 'Request validation failed', details);
      if (hasService && b.sellerServiceId !== SKYFIRE_SEED.sellerServiceId) return error(res, 404, 'NOT_FOUND', 'Seller service not found');
      if (isPay && valueMicros > balanceMicros - heldMicros()) return error(res, 402, 'PAYMENT_ERROR', 'Insufficient wallet balance to create token');

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
      const sig = createHmac('sha256', 'skyfire-sandbox').update(`${head}.${body}`).digest('base64url');
      const token = `${head}.${body}.${sig}`;
      tokens.push({ tokenId, token, type, buyerTag: typeof b.buyerTag === 'string' ? b.buyerTag : null, sellerServiceId: String(b.sellerServiceId ?? ''), valueMicros: isPay ? valueMicros : 0, createdAt: Date.now(), expiresAt });
      res.json({ token });
    });

    // Token listing (the reconciliation read). The real path/shape is unconfirmed (docs/connectors.md);
    // this follows the catalogued "list buyer tokens": cursor paging, items with tokenId, buyerTag, status.
    r.get('/api/v1/tokens', (req, res) => {
      const tag = typeof req.query.buyerTag === 'string' ? req.query.buyerTag : undefined;
      const limit = Math.min(Number(req.query.limit ?? 50) || 50, 100);
      const cursor = Number(req.query.cursor ?? 0) || 0;
      const rows = tokens.filter((t) => !tag || t.buyerTag === tag).sort((a, b) => b.createdAt - a.createdAt);
      const page = rows.slice(cursor, cursor + limit);
      res.json({
        data: page.map((t) => ({
          tokenId: t.tokenId,
          type: t.type,
          buyerTag: t.buyerTag,
          sellerServiceId: t.sellerServiceId,
          status: t.expiresAt <= nowS() ? 'EXPIRED' : t.valueMicros > 0 ? 'VALUE_RESERVED' : 'ISSUED',
          value: fromMicros(t.valueMicros, 6),
          chargeTotal: '0',
          charges: [],
          createdAt: new Date(t.createdAt).toISOString(),
          expiresAt: t.expiresAt,
        })),
        nextCursor: cursor + limit < rows.length ? String(cursor + limit) : null,
      });
    });
    return r;
  };

  return {
    name: 'skyfire',
    title: 'Skyfire',
    router,
    faultBody: (status) => (status === 429 ? { code: 'TOO_MANY_REQUESTS', message: 'Rate limit exceeded' } : { code: 'INTERNAL_SERVER_ERROR', message: 'Service unavailable' }),
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
      return r;
    },
  };
}
