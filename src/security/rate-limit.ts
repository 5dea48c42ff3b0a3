/**
 * In-memory token-bucket rate limit per client IP. One process, no shared store: enough to blunt a
 * flood against the public endpoints of a single instance; several instances each apply it.
 */
import type { RequestHandler } from 'express';

export interface RateLimitOptions {
  /** Sustained rate. */
  perMinute: number;
  /** Requests allowed at once from a full bucket. */
  burst: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Most clients tracked; the oldest are forgotten beyond this (bounded memory under a spray of IPs). */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;
  private readonly now: () => number;
  private readonly maxClients: number;

  constructor(private readonly opts: RateLimitOptions) {
    this.refillPerMs = opts.perMinute / 60_000;
    this.now = opts.now ?? Date.now;
    this.maxClients = opts.maxClients ?? 10_000;
  }

  /** Takes one token for `key`; returns 0 when allowed, else the milliseconds until a token is free. */
  take(key: string): number {
    const now = this.now();
    const prev = this.buckets.get(key);
    const tokens = prev ? Math.min(this.opts.burst, prev.tokens + (now - prev.at) * this.refillPerMs) : this.opts.burst;
    // Re-insert so Map order is least-recently-seen first, for eviction.
    this.buckets.delete(key);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      this.evict();
      return 0;
    }
    this.buckets.set(key, { tokens, at: now });
    return Math.ceil((1 - tokens) / this.refillPerMs);
  }

  private evict(): void {
    while (this.buckets.size > this.maxClients) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
    }
  }
}

/** 429 with Retry-After (whole seconds) once a client's bucket is empty. */
export function rateLimit(opts: RateLimitOptions): RequestHandler {
  const limiter = new TokenBucketLimiter(opts);
  return (req, res, next) => {
    // Without `trust proxy`, req.ip is the socket's address, but the getter still parses
    // X-Forwarded-For on every request to find that out.
    const ip = req.app.get('trust proxy') ? req.ip : req.socket.remoteAddress;
    const waitMs = limiter.take(ip ?? req.socket.remoteAddress ?? 'unknown');
    if (waitMs === 0) {
      next();
      return;
    }
    res.set('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
    res.status(429).json({ error: 'rate_limited', message: 'Too many requests; retry after the number of seconds in Retry-After.' });
  };
}
