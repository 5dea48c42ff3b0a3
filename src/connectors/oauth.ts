/**
 * Access tokens that refresh themselves: QuickBooks (Intuit OAuth 2.0, rotating refresh tokens) and
 * Google (a service account's JWT with `sub` = the impersonated Workspace user, or a user's refresh
 * token, both through `google-auth-library`). A token is refreshed shortly before it expires and
 * once more when the API answers 401; the refreshed state is shared by every worker process through
 * the encrypted store (token-store.ts), under its lock, so one process refreshes at a time and the
 * newest Intuit refresh token survives restarts.
 *
 * `authorizedFetch` puts the token on every request of a connector's HTTP client (it replaces the
 * client's own Authorization header), so the connectors need no change to gain refreshing.
 *
 * An AuthError out of here is permanent on purpose: it means the token endpoint itself refused
 * (invalid_grant: revoked, expired or superseded refresh token; invalid_client: wrong app keys).
 * A token endpoint that is down or throttling is a TransientError / RateLimitedError.
 */
import { createHash } from 'node:crypto';
import { gaxios, JWT, UserRefreshClient } from 'google-auth-library';
import type { OAuthConfig } from '../config/types';
import { AuthError, ConnectorError, RateLimitedError, TransientError, type ConnectorSystem, parseRetryAfter } from './errors';
import type { StoredToken, TokenStore } from './token-store';

/** Where a connector's bearer token comes from. */
export interface AccessTokenSource {
  readonly system: ConnectorSystem;
  /** A token with some life left. */
  token(): Promise<string>;
  /** After the API refused `rejected` with 401: a different token (refreshed unless another process already did). */
  refreshAfterReject(rejected: string): Promise<string>;
}

/** Obtains a new access token from the vendor's token endpoint, given the current state (for its refresh token). */
export type Minter = (current: StoredToken | undefined) => Promise<Omit<StoredToken, 'seed'>>;

const MAX_SKEW_MS = 60_000;
const fingerprint = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);

/** Told after each refresh this process made: when the refresh token itself expires (Intuit's `x_refresh_token_expires_in`), if the vendor said. */
export type RefreshObserver = (system: ConnectorSystem, refreshExpiresAt: number | undefined) => void;

export class RefreshingTokenSource implements AccessTokenSource {
  private cached?: StoredToken;
  private inflight?: Promise<string>;
  private readonly seed: string;
  constructor(
    readonly system: ConnectorSystem,
    private readonly store: TokenStore,
    seedMaterial: string,
    private readonly mint: Minter,
    private readonly now: () => number = Date.now,
    private readonly onRefreshed?: RefreshObserver,
  ) {
    this.seed = fingerprint(seedMaterial);
  }

  /** Fresh = same seed and not within the refresh margin (a fifth of its life, at most a minute). */
  private fresh(t: StoredToken | undefined): t is StoredToken {
    if (!t || t.seed !== this.seed) return false;
    const life = t.expiresAt - (t.obtainedAt ?? t.expiresAt - 3_600_000);
    return t.expiresAt - Math.min(MAX_SKEW_MS, life / 5) > this.now();
  }

  private readStore(): StoredToken | undefined {
    try {
      return this.store.read(this.system);
    } catch (err) {
      throw new AuthError({ system: this.system }, `credential store cannot be opened: ${(err as Error).message}`);
    }
  }

  async token(): Promise<string> {
    if (this.fresh(this.cached)) return this.cached.accessToken;
    const stored = this.readStore();
    if (this.fresh(stored)) {
      this.cached = stored;
      return stored.accessToken;
    }
    return this.refresh(undefined);
  }

  refreshAfterReject(rejected: string): Promise<string> {
    return this.refresh(rejected);
  }

  private refresh(rejected: string | undefined): Promise<string> {
    // One refresh per process at a time; across processes, the store's lock.
    this.inflight ??= this.store
      .withLock(this.system, async () => {
        // Another process may have refreshed while we waited for the lock: use its token, and its
        // refresh token (Intuit's old one is dead after rotation).
        const stored = this.readStore();
        const current = stored?.seed === this.seed ? stored : undefined;
        if (this.fresh(current) && current.accessToken !== rejected) {
          this.cached = current;
          return current.accessToken;
        }
        const obtainedAt = this.now();
        const minted = await this.mint(current);
        const next: StoredToken = { ...minted, obtainedAt, seed: this.seed };
        this.store.write(this.system, next);
        this.cached = next;
        try {
          this.onRefreshed?.(this.system, next.refreshExpiresAt);
        } catch {
          // Reporting the expiry must never fail the API call this refresh serves.
        }
        return next.accessToken;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}

/** A fixed token (the sandbox's, HubSpot/Slack/Zendesk-style long-lived keys, or a development access token). */
export class StaticTokenSource implements AccessTokenSource {
  constructor(
    readonly system: ConnectorSystem,
    private readonly value: string,
  ) {}
  async token(): Promise<string> {
    return this.value;
  }
  async refreshAfterReject(): Promise<string> {
    throw new AuthError(
      { system: this.system, status: 401 },
      'access token rejected and it cannot be refreshed (a static token: configure the refreshing credential)',
    );
  }
}

/**
 * A fetch that authorises every request with the source's token and, on a 401, refreshes once and
 * sends the request again (bodies are strings or Buffers, so they can be re-sent). A second 401 is
 * handed back to the client, which turns it into an AuthError.
 */
export function authorizedFetch(source: AccessTokenSource, base: typeof fetch = fetch): typeof fetch {
  return async (input, init = {}) => {
    const send = (token: string) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      return base(input, { ...init, headers });
    };
    const token = await source.token();
    const res = await send(token);
    if (res.status !== 401 || source instanceof StaticTokenSource) return res;
    await res.body?.cancel();
    return send(await source.refreshAfterReject(token));
  };
}

// --- Intuit ---------------------------------------------------------------------------------------

interface OAuthTokenResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  x_refresh_token_expires_in?: number;
  error?: string;
  error_description?: string;
}

/** Turns a failed token-endpoint answer into the right error: only a refusal of the grant or the client is permanent. */
function tokenEndpointError(
  system: ConnectorSystem,
  status: number,
  body: OAuthTokenResponse | undefined,
  retryAfter: string | null,
): ConnectorError {
  const code = body?.error;
  if (status === 429)
    return new RateLimitedError({ system, status, code }, 'token endpoint throttled the refresh', parseRetryAfter(retryAfter));
  if (status >= 500 || status === 408) return new TransientError({ system, status, code }, 'token endpoint unavailable');
  const hint =
    system === 'quickbooks'
      ? 'reconnect the QuickBooks app and set the new QBO_REFRESH_TOKEN'
      : 'check the Google credential and its domain-wide delegation';
  return new AuthError({ system, status, code }, `refreshing the access token failed (${code ?? `HTTP ${status}`}): ${hint}`);
}

/**
 * Intuit's documented refresh: POST the token endpoint, form-encoded `grant_type=refresh_token`,
 * HTTP Basic with the app's client id and secret. The answer carries a refresh token that may be
 * new; the previous one must not be used again.
 */
export function intuitMinter(
  cfg: Extract<OAuthConfig, { kind: 'intuit' }>,
  opts: { fetch?: typeof fetch; now?: () => number } = {},
): Minter {
  const now = opts.now ?? Date.now;
  return async (current) => {
    const refreshToken = current?.refreshToken ?? cfg.refreshToken;
    let res: Response;
    try {
      res = await (opts.fetch ?? fetch)(cfg.tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${cfg.clientId}:${cfg.clientSecret}`).toString('base64')}`,
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new TransientError(
        { system: 'quickbooks' },
        `token endpoint unreachable: ${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).name}`,
      );
    }
    const body = (await res.json().catch(() => undefined)) as OAuthTokenResponse | undefined;
    if (!res.ok || !body?.access_token) throw tokenEndpointError('quickbooks', res.status, body, res.headers.get('retry-after'));
    const at = now();
    return {
      accessToken: body.access_token,
      expiresAt: at + (body.expires_in ?? 3600) * 1000,
      refreshToken: body.refresh_token ?? refreshToken,
      ...(body.x_refresh_token_expires_in ? { refreshExpiresAt: at + body.x_refresh_token_expires_in * 1000 } : {}),
    };
  };
}

// --- Google ---------------------------------------------------------------------------------------

const GOOGLE_DEFAULT_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/**
 * google-auth-library's JWT flow posts to Google's fixed token URL; a different GOOGLE_OAUTH_TOKEN_URL
 * (the sandbox, a proxy) is honoured by rewriting that one URL on the library's own HTTP transport.
 */
function googleTransport(tokenUrl: string): InstanceType<typeof gaxios.Gaxios> {
  const transport = new gaxios.Gaxios();
  if (tokenUrl !== GOOGLE_DEFAULT_TOKEN_URL) {
    transport.interceptors.request.add({
      resolved: async (config) => (String(config.url) === GOOGLE_DEFAULT_TOKEN_URL ? { ...config, url: new URL(tokenUrl) } : config),
    });
  }
  return transport;
}

/** A service account (domain-wide delegation, `sub` = the user) or a user's refresh token, via google-auth-library. */
export function googleMinter(
  system: 'gmail' | 'drive',
  cfg: Extract<OAuthConfig, { kind: 'google-service-account' | 'google-user' }>,
  opts: { now?: () => number } = {},
): Minter {
  const now = opts.now ?? Date.now;
  return async () => {
    const transporter = googleTransport(cfg.tokenUrl);
    try {
      if (cfg.kind === 'google-service-account') {
        const jwt = new JWT({ email: cfg.clientEmail, key: cfg.privateKey, scopes: cfg.scopes, subject: cfg.subject, transporter });
        const creds = await jwt.authorize();
        if (!creds.access_token) throw new TransientError({ system }, 'token endpoint answered without an access token');
        return { accessToken: creds.access_token, expiresAt: creds.expiry_date ?? now() + 3_600_000 };
      }
      const client = new UserRefreshClient({
        clientId: cfg.clientId,
        clientSecret: cfg.clientSecret,
        refreshToken: cfg.refreshToken,
        transporter,
        endpoints: { oauth2TokenUrl: cfg.tokenUrl },
      });
      const { token } = await client.getAccessToken();
      if (!token) throw new TransientError({ system }, 'token endpoint answered without an access token');
      return { accessToken: token, expiresAt: client.credentials.expiry_date ?? now() + 3_600_000 };
    } catch (err) {
      if (err instanceof ConnectorError) throw err;
      const e = err as Error & { status?: number; response?: { status?: number; data?: OAuthTokenResponse; headers?: Headers } };
      const status = e.response?.status ?? e.status;
      if (!status) throw new TransientError({ system }, `token endpoint unreachable: ${e.name}`);
      throw tokenEndpointError(system, status, e.response?.data, e.response?.headers?.get?.('retry-after') ?? null);
    }
  };
}

/** Seed material: what, when it changes, means "start over" (a reconnect, a new key). */
export function oauthSeed(cfg: OAuthConfig): string {
  return cfg.kind === 'intuit'
    ? `${cfg.clientId}:${cfg.refreshToken}`
    : cfg.kind === 'google-user'
      ? `${cfg.clientId}:${cfg.refreshToken}:${cfg.scopes.join(' ')}`
      : `${cfg.clientEmail}:${cfg.subject}:${cfg.scopes.join(' ')}`;
}
