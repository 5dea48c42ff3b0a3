/**
 * In-memory token-bucket rate limit per client (an IPv4 address, or an IPv6 /64: clientKey). One process, no shared store: enough to blunt a
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

/**
 * The bucket a client address falls into. IPv4 (and IPv4-mapped IPv6, `::ffff:a.b.c.d`): the
 * address. IPv6: its /64, the smallest block a provider gives one subscriber; a client rotating
 * through the 2^64 addresses of its own /64 would otherwise get a fresh bucket on every request.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!ip.includes(':')) return ip;
  const groups = expandIpv6(ip);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : ip;
}

/** The eight 16-bit groups of an IPv6 address (lowercase, no leading zeros), or undefined if it is not one. */
function expandIpv6(ip: string): string[] | undefined {
  let text = ip.toLowerCase();
  // A trailing dotted IPv4 part (e.g. 64:ff9b::192.0.2.1) is two groups.
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(16));
}

/** 429 with Retry-After (whole seconds) once a client's bucket is empty. */
export function rateLimit(opts: RateLimitOptions): RequestHandler {
  const limiter = new TokenBucketLimiter(opts);
  return (req, res, next) => {
    // Without `trust proxy`, req.ip is the socket's address, but the getter still parses
    // X-Forwarded-For on every request to find that out.
    const ip = req.app.get('trust proxy') ? req.ip : req.socket.remoteAddress;
    const waitMs = limiter.take(clientKey(ip ?? req.socket.remoteAddress));
    if (waitMs === 0) {
      next();
      return;
    }
    res.set('Retry-After', String(Math.max(1, Math.ceil(waitMs / 1000))));
    res.status(429).json({ error: 'rate_limited', message: 'Too many requests; retry after the number of seconds in Retry-After.' });
  };
}
