/**
 * Security headers on every response (hand-written: the API serves JSON and one small HTML form,
 * so a handful of headers is the whole policy).
 */
import type { RequestHandler } from 'express';

export interface SecurityHeaderOptions {
  /** Adds HSTS: only when the service is served over HTTPS (production). */
  hsts: boolean;
}

/** Nothing may load, frame or submit anywhere but here; the codec login form posts to itself. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function securityHeaders(opts: SecurityHeaderOptions): RequestHandler {
  return (_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'Cross-Origin-Opener-Policy': 'same-origin',
      'X-Permitted-Cross-Domain-Policies': 'none',
    });
    if (opts.hsts) res.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}

/**
 * Refuses bodies above `maxBytes` by their declared length before any parser reads them (413).
 * Bodies without a length (chunked) are bounded by each route's own parser limit.
 */
export function bodyLimit(maxBytes: number): RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.get('content-length') ?? 0);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.set('Connection', 'close');
      res.status(413).json({ error: 'payload_too_large', message: `Request body is larger than ${maxBytes} bytes.` });
      return;
    }
    next();
  };
}
