/**
 * Skyfire buyer client (our own: Skyfire publishes no SDK on the npm registry). Header
 * `skyfire-api-key`; error envelope `{code, message, details}`. Only documented endpoints: create
 * token, wallet balance, a pay token's charges. Money moves only when the seller charges a pay
 * token, so a refund hands the token to the seller service (`handOver`, header `skyfire-pay-id`)
 * and then watches its charges. Skyfire has no idempotency key and documents no token listing, so
 * a lost create answer cannot be reconciled here: the activity fails safe instead (activities/skyfire.ts).
 */
import type { ConnectorsConfig } from '../config/types';
import { HttpClient, type ErrorDescription } from './http';
import { type ErrorKind, TransientError, ValidationError } from './errors';

/** Token types. The combined type is spelled `kya+pay` by Skyfire's skills repo and clients (`kya-pay` in some docs). */
export type SkyfireTokenType = 'kya' | 'pay' | 'kya+pay';

/** GET /api/v1/agents/balance: decimal strings. */
export interface SkyfireBalance {
  available: string;
  heldAmount: string;
  pendingCharges: string;
  pendingDeposits: string;
}

export interface CreateTokenRequest {
  type: SkyfireTokenType;
  /** Our case reference (workflow id + step); comes back as JWT claim `btg` and in listings. */
  buyerTag: string;
  /** Decimal string, required for pay types. */
  tokenAmount?: string;
  /** Unix seconds; Skyfire's default is 24 h with a sellerServiceId. */
  expiresAt?: number;
  identityPermissions?: string[];
}

/** GET /api/v1/tokens/{tokenId}/charges, read defensively (its response fields are unconfirmed). */
export interface SkyfireTokenCharges {
  /** Sum of the charges, decimal string. */
  charged: string;
  chargeIds: string[];
}

/** A created (or reused) token. `token` is the signed JWT: a bearer credential, keep it out of history and logs. */
export interface SkyfireToken {
  tokenId: string;
  expiresAt: number;
  buyerTag: string;
  reused: boolean;
  token?: string;
}

const KIND_BY_CODE: Record<string, ErrorKind> = {
  PAYMENT_ERROR: 'insufficient_funds',
  PAYMENT_DECLINED: 'business',
  NOT_ELIGIBLE: 'business',
  VALIDATION_ERROR: 'validation',
  BAD_REQUEST: 'validation',
  NOT_AUTHORIZED: 'auth',
  FORBIDDEN: 'auth',
  NOT_FOUND: 'not_found',
};

export function describeSkyfireError(status: number, body: unknown): ErrorDescription {
  const b = (body ?? {}) as { code?: string; message?: string; details?: Record<string, { message?: string }> };
  const fields = b.details ? ` (${Object.keys(b.details).join(', ')})` : '';
  const code = typeof b.code === 'string' ? b.code : undefined;
  return {
    code,
    message: `${b.message ?? `HTTP ${status}`}${fields}`,
    kind: code && status < 500 && status !== 429 ? KIND_BY_CODE[code] : undefined,
  };
}

/** Reads the claims of a Skyfire JWT (no verification: we are the buyer, the seller verifies). */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new ValidationError({ system: 'skyfire' }, 'token is not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export class SkyfireClient {
  private readonly http: HttpClient;
  private readonly httpOpts: { fetch?: typeof fetch; timeoutMs?: number };
  readonly sellerServiceId: string;
  /** Refund settings the activities read (where tokens go, how long they live, how long to wait for a charge). */
  readonly refunds: { sellerServiceUrl?: string; payTokenTtlSeconds: number; chargeGraceMs: number; chargePollMs: number };
  constructor(cfg: ConnectorsConfig['skyfire'], opts: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.sellerServiceId = cfg.sellerServiceId;
    this.refunds = {
      sellerServiceUrl: cfg.sellerServiceUrl,
      payTokenTtlSeconds: cfg.payTokenTtlSeconds,
      chargeGraceMs: cfg.chargeGraceMs,
      chargePollMs: cfg.chargePollMs,
    };
    this.httpOpts = opts;
    this.http = new HttpClient({
      system: 'skyfire',
      baseUrl: cfg.baseUrl,
      headers: () => ({ 'skyfire-api-key': cfg.token }),
      describeError: describeSkyfireError,
      ...opts,
    });
  }

  async getBalance(): Promise<SkyfireBalance> {
    return (await this.http.request<SkyfireBalance>({ method: 'GET', path: '/api/v1/agents/balance' })).body;
  }

  /** POST /api/v1/tokens. A pay token reserves `tokenAmount` of the wallet until it is charged or its charge window ends. */
  async createToken(req: CreateTokenRequest): Promise<SkyfireToken> {
    if ((req.type === 'pay' || req.type === 'kya+pay') && !/^\d+(\.\d{1,6})?$/.test(req.tokenAmount ?? '')) {
      throw new ValidationError({ system: 'skyfire' }, 'tokenAmount must be a positive decimal string for pay tokens');
    }
    const res = await this.http.request<{ token: string }>({
      method: 'POST',
      path: '/api/v1/tokens',
      body: {
        type: req.type,
        buyerTag: req.buyerTag,
        sellerServiceId: this.sellerServiceId,
        ...(req.tokenAmount ? { tokenAmount: req.tokenAmount } : {}),
        ...(req.expiresAt ? { expiresAt: req.expiresAt } : {}),
        ...(req.identityPermissions ? { identityPermissions: req.identityPermissions } : {}),
      },
    });
    const claims = decodeJwtClaims(res.body.token);
    return { tokenId: String(claims.jti), expiresAt: Number(claims.exp), buyerTag: req.buyerTag, reused: false, token: res.body.token };
  }

  /** GET /api/v1/tokens/{tokenId}/charges (buyer side): what the seller has charged so far. */
  async getTokenCharges(tokenId: string): Promise<SkyfireTokenCharges> {
    if (!/^[0-9a-fA-F-]{36}$/.test(tokenId)) throw new ValidationError({ system: 'skyfire' }, 'tokenId must be a UUID (the JWT jti)');
    const res = await this.http.request<unknown>({ method: 'GET', path: `/api/v1/tokens/${tokenId}/charges` });
    return readCharges(res.body);
  }

  /**
   * Hands a pay token to the seller service that charges it, as Skyfire's seller guides show a
   * buyer does: the JWT in the `skyfire-pay-id` header of a call to the seller's API. The body is
   * our contract with that seller (a reference and the amount), not Skyfire's.
   */
  async handOver(sellerServiceUrl: string, token: string, order: { reference: string; amount: string; currency: string }): Promise<void> {
    const seller = new HttpClient({
      system: 'skyfire',
      baseUrl: sellerServiceUrl,
      headers: () => ({ 'skyfire-pay-id': token }),
      describeError: describeSkyfireError,
      ...this.httpOpts,
    });
    await seller.request({ method: 'POST', path: '', body: order });
  }
}

/**
 * The charges answer: Skyfire documents the endpoint, not (where we could read it) its fields.
 * Accepts a list under `charges` or `data` (or the body itself), each with `amount` or
 * `amountCharged`; a `chargedAmount` total wins when present. Anything else is a TransientError
 * (the case keeps waiting and says why in its retries) rather than a guess that money moved.
 */
export function readCharges(body: unknown): SkyfireTokenCharges {
  const b = (body ?? {}) as { chargedAmount?: unknown; charges?: unknown; data?: unknown };
  const list = Array.isArray(body) ? body : Array.isArray(b.charges) ? b.charges : Array.isArray(b.data) ? b.data : undefined;
  if (!list && typeof b.chargedAmount !== 'string')
    throw new TransientError({ system: 'skyfire' }, 'token charges answer has no charges list');
  const items = (list ?? []) as { amount?: unknown; amountCharged?: unknown; chargeId?: unknown; id?: unknown }[];
  let micros = 0;
  for (const c of items) {
    const v = String(c.amount ?? c.amountCharged ?? '');
    const m = /^\d+(\.\d{1,6})?$/.test(v) ? v : undefined;
    if (!m) throw new TransientError({ system: 'skyfire' }, 'a token charge has no readable amount');
    const [i, f = ''] = m.split('.');
    micros += Number(i) * 1_000_000 + Number(f.padEnd(6, '0'));
  }
  const fromList = `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  return {
    charged: typeof b.chargedAmount === 'string' ? b.chargedAmount : fromList,
    chargeIds: items.map((c) => String(c.chargeId ?? c.id ?? '')).filter(Boolean),
  };
}
