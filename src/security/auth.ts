/**
 * Bearer-token access control. Deny by default: `accessGate` lets through only the public routes
 * (signed webhooks, health) and the codec endpoint (which authenticates itself, see codec-routes.ts);
 * everything else, including routes added later, needs `Authorization: Bearer <API_TOKEN>`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';

/** Routes anyone may call: the webhooks (DialNexa, Slack's interactions and events) carry their own signatures; health has no data. */
export const PUBLIC_ROUTES: readonly string[] = ['/healthz', '/readyz', '/webhooks/dialnexa', '/slack/interactions', '/slack/events'];
/** Routes that check credentials themselves (bearer or codec session cookie, plus CORS). */
export const SELF_AUTHENTICATED_PREFIXES: readonly string[] = ['/codec'];

/** Express matches paths case-insensitively and ignores a trailing slash; the gate must agree. */
export function normalizePath(p: string): string {
  const lower = p.toLowerCase();
  return lower.length > 1 ? lower.replace(/\/+$/, '') : lower;
}

/** Constant-time comparison (hashing first makes the lengths equal). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(req: Request): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  return m?.[1];
}

export function sendUnauthorized(res: Response, message = 'Send Authorization: Bearer <API_TOKEN>.'): void {
  res.set('WWW-Authenticate', 'Bearer realm="dialnexa-billing"');
  res.status(401).json({ error: 'unauthorized', message });
}

/** Requires the API bearer token. Without a configured token every request is refused (fail closed). */
export function requireBearer(apiToken: string | undefined): RequestHandler {
  return (req, res, next) => {
    const given = bearerToken(req);
    if (!apiToken || !given || !secretsEqual(given, apiToken)) {
      sendUnauthorized(res);
      return;
    }
    next();
  };
}

/** Mounted before every route: public routes pass, all others need the bearer token. */
export function accessGate(apiToken: string | undefined): RequestHandler {
  const publicRoutes = new Set(PUBLIC_ROUTES.map(normalizePath));
  const bearer = requireBearer(apiToken);
  return (req, res, next) => {
    const p = normalizePath(req.path);
    if (publicRoutes.has(p) || SELF_AUTHENTICATED_PREFIXES.some((pre) => p === pre || p.startsWith(`${pre}/`))) {
      next();
      return;
    }
    // Authenticated responses may carry case data: keep them out of shared caches.
    res.set('Cache-Control', 'no-store');
    bearer(req, res, next);
  };
}
