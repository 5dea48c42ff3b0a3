/**
 * Skyfire buyer client (our own: Skyfire publishes no SDK on the npm registry). Header
 * `skyfire-api-key`; error envelope `{code, message, details}`. Creating a token reserves wallet
 * funds, and Skyfire has no idempotency key, so `createTokenOnce` first reconciles by `buyerTag`
 * and reuses a live token for the same case step.
 */
import type { ConnectorsConfig } from '../config';
import { HttpClient, type ErrorDescription } from './http';
import type { ErrorKind } from './errors';
import { ValidationError } from './errors';

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

/** A token as the listing (reconciliation) reports it. */
export interface SkyfireTokenInfo {
  tokenId: string;
  buyerTag: string | null;
  type?: string;
  status?: string;
  value?: string;
  /** Unix seconds. */
  expiresAt: number;
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
  return { code, message: `${b.message ?? `HTTP ${status}`}${fields}`, kind: code && status < 500 && status !== 429 ? KIND_BY_CODE[code] : undefined };
}

/** Reads the claims of a Skyfire JWT (no verification: we are the buyer, the seller verifies). */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new ValidationError({ system: 'skyfire' }, 'token is not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export class SkyfireClient {
  private readonly http: HttpClient;
  readonly sellerServiceId: string;
  constructor(cfg: ConnectorsConfig['skyfire'], opts: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.sellerServiceId = cfg.sellerServiceId;
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

  /** POST /api/v1/tokens. Prefer `createTokenOnce`: this one always reserves new funds. */
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

  /**
   * Tokens carrying `buyerTag`, newest first. The ONE place that knows the listing endpoint: its
   * REST path and shape are unconfirmed (`GET /api/v1/tokens?buyerTag=` with cursor paging, as the
   * integration catalogues describe it), so only this function changes when Skyfire confirms.
   */
  async listTokensByBuyerTag(buyerTag: string): Promise<SkyfireTokenInfo[]> {
    const out: SkyfireTokenInfo[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const res = await this.http.request<{ data?: SkyfireTokenInfo[]; nextCursor?: string | null }>({
        method: 'GET',
        path: '/api/v1/tokens',
        query: { buyerTag, limit: 100, cursor },
      });
      out.push(...(res.body.data ?? []).filter((t) => t.buyerTag === buyerTag));
      if (!res.body.nextCursor) break;
      cursor = res.body.nextCursor;
    }
    return out;
  }

  /**
   * Create a token for a case step at most once: a live token (not expired, at least
   * `minRemainingSeconds` left) with the same buyerTag and type is reused instead.
   */
  async createTokenOnce(req: CreateTokenRequest, opts: { minRemainingSeconds?: number; nowSeconds?: number } = {}): Promise<SkyfireToken> {
    const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
    const existing = (await this.listTokensByBuyerTag(req.buyerTag)).find(
      (t) => t.expiresAt > now + (opts.minRemainingSeconds ?? 60) && (!t.type || t.type.replace('-', '+') === req.type) && t.status !== 'EXPIRED' && t.status !== 'CANCELLED',
    );
    if (existing) return { tokenId: existing.tokenId, expiresAt: existing.expiresAt, buyerTag: req.buyerTag, reused: true };
    return this.createToken(req);
  }
}
