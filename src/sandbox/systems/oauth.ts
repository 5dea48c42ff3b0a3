/**
 * The vendors' OAuth 2.0 token endpoints, and the check their APIs make on a bearer token:
 *
 * - Intuit (`/intuit-oauth/oauth2/v1/tokens/bearer`): `grant_type=refresh_token`, client id and
 *   secret by HTTP Basic. Every refresh returns a new refresh token and the previous one is dead
 *   from then on (Intuit documents that the value may change on any refresh and that the latest must
 *   be used; rotating on every call is the strict reading). Unknown client: 401 `invalid_client`;
 *   unknown, rotated-away or revoked refresh token: 400 `invalid_grant`.
 * - Google (`/google-oauth/token`): `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with an
 *   RS256 assertion signed by a registered service account key (`aud` Google's token URL, at most
 *   1 h between `iat` and `exp`, `sub` = the impersonated user only if domain-wide delegation grants
 *   the requested scopes), and `grant_type=refresh_token` for a user's consent (Google's refresh
 *   tokens do not rotate; the answer has no new one).
 *
 * Access tokens they issue expire after `accessTokenTtlSeconds` (3600 as the vendors do; tests set
 * a few seconds). The gate in front of QuickBooks, Gmail and Drive answers an expired or foreign
 * token with the API's own 401, and lets a live one through as the API's accepted credential, so
 * the API plug-ins need not know about OAuth.
 */
import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { SandboxSystem } from '../core';
import { SANDBOX_CREDENTIALS, uuid } from '../support';

export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';
/** The seeded Intuit app (Keys & credentials of a development app). */
export const SANDBOX_INTUIT_APP = { clientId: 'sandbox-intuit-client-id', clientSecret: 'sandbox-intuit-client-secret' } as const;

type Issuer = 'intuit' | 'google';
interface IssuedToken {
  issuer: Issuer;
  expiresAt: number;
  scopes: string[];
}

/** Everything both token endpoints and the gate share; one per sandbox. */
export class OAuthRegistry {
  accessTokenTtlSeconds = 3600;
  /** Intuit's `x_refresh_token_expires_in` (about 101 days, as documented for a fresh connection). */
  refreshTokenTtlSeconds = 8_726_400;
  readonly accessTokens = new Map<string, IssuedToken>();
  /** Intuit refresh tokens that are still valid -> client id. */
  readonly intuitRefreshTokens = new Map<string, string>();
  readonly intuitClients = new Map<string, string>([[SANDBOX_INTUIT_APP.clientId, SANDBOX_INTUIT_APP.clientSecret]]);
  /** Service accounts: client_email -> public key and the scopes domain-wide delegation grants. */
  readonly serviceAccounts = new Map<string, { key: KeyObject; delegatedScopes: string[] }>();
  /** Google user consents: refresh token -> client and scopes. */
  readonly googleUsers = new Map<string, { clientId: string; clientSecret: string; scopes: string[] }>();
  readonly counts = { intuitRefreshes: 0, intuitInvalidGrants: 0, googleTokens: 0, googleRejected: 0, expiredRejected: 0 };

  issue(issuer: Issuer, scopes: string[]): { token: string; ttl: number } {
    const token = `sbx-${issuer}-at-${randomBytes(18).toString('base64url')}`;
    this.accessTokens.set(token, { issuer, scopes, expiresAt: Date.now() + this.accessTokenTtlSeconds * 1000 });
    // Forget long-dead tokens so a long run does not grow without bound.
    if (this.accessTokens.size > 10_000)
      for (const [t, v] of this.accessTokens) if (v.expiresAt < Date.now() - 3_600_000) this.accessTokens.delete(t);
    return { token, ttl: this.accessTokenTtlSeconds };
  }

  /** The consent flow's result: a new refresh token for the app (what the OAuth Playground gives you). */
  connectIntuit(clientId: string = SANDBOX_INTUIT_APP.clientId): string {
    const rt = `sbx-intuit-rt-${randomBytes(18).toString('base64url')}`;
    this.intuitRefreshTokens.set(rt, clientId);
    return rt;
  }
}

const oauthError = (res: Response, status: number, error: string, description: string) =>
  res.status(status).json({ error, error_description: description });

function basicAuth(req: Request): { id: string; secret: string } | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return undefined;
  const text = Buffer.from(h.slice(6), 'base64').toString('utf8');
  const sep = text.indexOf(':');
  return sep < 0 ? undefined : { id: text.slice(0, sep), secret: text.slice(sep + 1) };
}

export function createIntuitOAuthSystem(registry: OAuthRegistry): SandboxSystem {
  return {
    name: 'intuit-oauth',
    title: 'Intuit OAuth 2.0',
    router(): Router {
      const r = express.Router();
      r.post('/oauth2/v1/tokens/bearer', (req, res) => {
        const client = basicAuth(req);
        if (!client || registry.intuitClients.get(client.id) !== client.secret)
          return oauthError(res, 401, 'invalid_client', 'Client authentication failed');
        const body = (req.body ?? {}) as Record<string, string>;
        if (body.grant_type !== 'refresh_token') return oauthError(res, 400, 'unsupported_grant_type', 'Only refresh_token is emulated');
        const owner = registry.intuitRefreshTokens.get(body.refresh_token ?? '');
        if (owner !== client.id) {
          registry.counts.intuitInvalidGrants++;
          return oauthError(res, 400, 'invalid_grant', 'Incorrect or invalid refresh token');
        }
        // Rotation: the old refresh token dies with this answer, even if the answer is lost.
        registry.intuitRefreshTokens.delete(body.refresh_token);
        const refreshToken = registry.connectIntuit(client.id);
        const { token, ttl } = registry.issue('intuit', ['com.intuit.quickbooks.accounting']);
        registry.counts.intuitRefreshes++;
        res.set('intuit_tid', uuid()).json({
          token_type: 'bearer',
          access_token: token,
          expires_in: ttl,
          refresh_token: refreshToken,
          // Intuit counts this down to the connection's end; tests shorten it (settings).
          x_refresh_token_expires_in: registry.refreshTokenTtlSeconds,
        });
      });
      return r;
    },
    faultBody: (status) => ({ error: status === 429 ? 'rate_limit_exceeded' : 'server_error', error_description: 'sandbox fault' }),
    reset() {
      /* tokens survive a data reset, as a real connection does */
    },
    controlRouter(): Router {
      const r = express.Router();
      r.post('/connect', (_req, res) => {
        res.json({ ...SANDBOX_INTUIT_APP, refresh_token: registry.connectIntuit() });
      });
      r.post('/settings', (req, res) => {
        const ttl = Number((req.body as { accessTokenTtlSeconds?: unknown }).accessTokenTtlSeconds);
        if (Number.isFinite(ttl) && ttl > 0) registry.accessTokenTtlSeconds = ttl;
        const rtTtl = Number((req.body as { refreshTokenTtlSeconds?: unknown }).refreshTokenTtlSeconds);
        if (Number.isFinite(rtTtl) && rtTtl > 0) registry.refreshTokenTtlSeconds = rtTtl;
        res.json({ accessTokenTtlSeconds: registry.accessTokenTtlSeconds, refreshTokenTtlSeconds: registry.refreshTokenTtlSeconds });
      });
      r.get('/stats', (_req, res) => {
        res.json(registry.counts);
      });
      return r;
    },
  };
}

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function createGoogleOAuthSystem(registry: OAuthRegistry): SandboxSystem {
  const jwtBearer = (req: Request, res: Response) => {
    const assertion = String((req.body as Record<string, unknown>).assertion ?? '');
    const [h, p, s] = assertion.split('.');
    const header = decodePart(h);
    const claims = decodePart(p);
    const reject = (status: number, error: string, description: string) => {
      registry.counts.googleRejected++;
      return oauthError(res, status, error, description);
    };
    if (!header || !claims || !s || header.alg !== 'RS256')
      return reject(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe');
    const account = registry.serviceAccounts.get(String(claims.iss));
    if (!account || !verify('RSA-SHA256', Buffer.from(`${h}.${p}`), account.key, Buffer.from(s, 'base64url')))
      return reject(400, 'invalid_grant', 'Invalid JWT Signature.');
    const now = Math.floor(Date.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (claims.aud !== GOOGLE_TOKEN_AUDIENCE) return reject(400, 'invalid_grant', 'Invalid JWT: audience');
    if (!(exp > now) || !(iat <= now + 300) || exp - iat > 3600)
      return reject(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    const scopes = String(claims.scope ?? '')
      .split(' ')
      .filter(Boolean);
    if (scopes.length === 0) return reject(400, 'invalid_scope', 'Empty or missing scope not allowed.');
    // Impersonation needs domain-wide delegation for every requested scope.
    if (claims.sub && !scopes.every((sc) => account.delegatedScopes.includes(sc))) {
      return reject(
        401,
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      );
    }
    const { token, ttl } = registry.issue('google', scopes);
    registry.counts.googleTokens++;
    res.json({ access_token: token, expires_in: ttl, token_type: 'Bearer' });
  };
  const refresh = (req: Request, res: Response) => {
    const b = req.body as Record<string, string>;
    const user = registry.googleUsers.get(b.refresh_token ?? '');
    if (!user || user.clientId !== b.client_id || user.clientSecret !== b.client_secret) {
      registry.counts.googleRejected++;
      return oauthError(res, 400, 'invalid_grant', 'Token has been expired or revoked.');
    }
    const { token, ttl } = registry.issue('google', user.scopes);
    registry.counts.googleTokens++;
    res.json({ access_token: token, expires_in: ttl, scope: user.scopes.join(' '), token_type: 'Bearer' });
  };
  return {
    name: 'google-oauth',
    title: 'Google OAuth 2.0',
    router(): Router {
      const r = express.Router();
      r.post('/token', (req, res) => {
        const grant = String((req.body as Record<string, unknown>)?.grant_type ?? '');
        if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') return jwtBearer(req, res);
        if (grant === 'refresh_token') return refresh(req, res);
        return oauthError(res, 400, 'unsupported_grant_type', `Invalid grant_type: ${grant}`);
      });
      return r;
    },
    faultBody: (status) => ({ error: status === 429 ? 'rate_limit_exceeded' : 'internal_failure', error_description: 'sandbox fault' }),
    reset() {
      /* keys and consents survive a data reset */
    },
    controlRouter(): Router {
      const r = express.Router();
      // Creating a key in IAM and granting domain-wide delegation in the Admin console, in one call.
      r.post('/service-accounts', (req, res) => {
        const b = req.body as { clientEmail?: string; publicKeyPem?: string; delegatedScopes?: string[] };
        if (!b.clientEmail || !b.publicKeyPem) return oauthError(res, 400, 'invalid_request', 'clientEmail and publicKeyPem are required');
        registry.serviceAccounts.set(b.clientEmail, { key: createPublicKey(b.publicKeyPem), delegatedScopes: b.delegatedScopes ?? [] });
        res.json({ clientEmail: b.clientEmail });
      });
      r.post('/users', (req, res) => {
        const b = req.body as { clientId?: string; clientSecret?: string; scopes?: string[] };
        if (!b.clientId || !b.clientSecret) return oauthError(res, 400, 'invalid_request', 'clientId and clientSecret are required');
        const rt = `sbx-google-rt-${randomBytes(18).toString('base64url')}`;
        registry.googleUsers.set(rt, { clientId: b.clientId, clientSecret: b.clientSecret, scopes: b.scopes ?? [] });
        res.json({ refresh_token: rt });
      });
      return r;
    },
  };
}

/** The API a token is for, and its 401 when the token is expired or not its issuer's. */
const GATED: Record<string, { issuer: Issuer; credential: string; unauthorized: (res: Response, detail: string) => void }> = {
  quickbooks: {
    issuer: 'intuit',
    credential: SANDBOX_CREDENTIALS.quickbooks,
    // QuickBooks' 401 body is the lower-case `fault` form with code 3200.
    unauthorized: (res, detail) =>
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="Intuit", error="invalid_token"')
        .json({
          fault: {
            error: [{ message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', detail, code: '3200' }],
            type: 'AUTHENTICATION',
          },
          time: new Date().toISOString(),
        }),
  },
  // The Payments API takes the same Intuit token as the Accounting API (one connection, both scopes).
  'quickbooks-payments': {
    issuer: 'intuit',
    credential: SANDBOX_CREDENTIALS.quickbooks,
    unauthorized: (res, detail) =>
      res.status(401).json({ errors: [{ code: 'AuthenticationFailed', type: 'SYSTEM_ERROR', message: 'Authentication failed', detail }] }),
  },
  gmail: { issuer: 'google', credential: SANDBOX_CREDENTIALS.google, unauthorized: (res, detail) => googleUnauthorized(res, detail) },
  drive: { issuer: 'google', credential: SANDBOX_CREDENTIALS.google, unauthorized: (res, detail) => googleUnauthorized(res, detail) },
};

function googleUnauthorized(res: Response, detail: string) {
  const message = `Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. (${detail})`;
  res
    .status(401)
    .set('WWW-Authenticate', 'Bearer realm="https://accounts.google.com/", error="invalid_token"')
    .json({
      error: {
        code: 401,
        message,
        errors: [
          { message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' },
        ],
        status: 'UNAUTHENTICATED',
      },
    });
}

/** Express middleware in front of a gated API: issued tokens are checked here; anything else goes to the API's own check. */
export function tokenGate(system: string, registry: OAuthRegistry) {
  const gate = GATED[system];
  return (req: Request, res: Response, next: NextFunction) => {
    const h = req.headers.authorization;
    const token = h?.startsWith('Bearer ') ? h.slice(7) : undefined;
    if (!gate || !token?.startsWith('sbx-')) return next();
    const issued = registry.accessTokens.get(token);
    if (!issued || issued.issuer !== gate.issuer) return gate.unauthorized(res, 'token not issued for this API');
    if (issued.expiresAt <= Date.now()) {
      registry.counts.expiredRejected++;
      return gate.unauthorized(res, 'Token expired');
    }
    req.headers.authorization = `Bearer ${gate.credential}`;
    next();
  };
}
