/**
 * The remote codec endpoint for the Temporal Web UI (and `temporal --codec-endpoint`): POST
 * /codec/decode and /codec/encode take `{ payloads: [{ metadata: {k: base64}, data: base64 }] }`
 * (Temporal's remote codec protocol, proto JSON) and answer the same shape.
 *
 * Who may call it:
 *  - CORS admits only the Temporal UI's origin(s); any other Origin gets 403, preflight included.
 *  - Credentials: `Authorization: Bearer <API_TOKEN>` (CLI, scripts), or the `codec_session`
 *    cookie (the browser). The Temporal UI cannot attach our token: it sends an Authorization
 *    header only with its own OIDC login, and otherwise only cookies, when "include cross-origin
 *    credentials" is on. So a person opens GET /codec/session on this service, enters the API token
 *    once, and gets a short-lived HttpOnly cookie scoped to /codec (docs/security.md).
 *  - Development only (`admitLocalUi`): the local dev-server UI's calls pass without credentials,
 *    so the embedded default opens decrypted; see localUiCall() and docs/security.md.
 */
import { createHmac } from 'node:crypto';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { bearerToken, secretsEqual, sendUnauthorized } from './auth';
import { isLoopbackHost, loopbackAliases } from '../config/loopback';
import { rateLimit } from './rate-limit';

export const CODEC_SESSION_COOKIE = 'codec_session';

export interface CodecRouterOptions {
  codec: PayloadCodec;
  /** Absent = nobody gets in (fail closed). */
  apiToken: string | undefined;
  /** Origins (scheme://host:port) allowed to call from a browser: the Temporal UI's. */
  allowedOrigins: string[];
  /** Requests naming another namespace in X-Namespace are refused. */
  namespace: string;
  sessionTtlMs: number;
  /** True when served over HTTPS: the cookie becomes `Secure; SameSite=None` (UI on another site). */
  secureCookie: boolean;
  /** Largest JSON body accepted, bytes. */
  bodyLimitBytes: number;
  /** Login attempts per IP. */
  loginRateLimit?: { perMinute: number; burst: number };
  /**
   * Development only: a browser call from the local Temporal UI passes without a token or session
   * (localUiCall). The caller sets it only when NODE_ENV=development and the UI is on loopback.
   */
  admitLocalUi?: boolean;
}

/** Headers a proxy or tunnel adds when it relays a request (ngrok, cloudflared, nginx, ...). */
const RELAY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host', 'cf-connecting-ip', 'true-client-ip'];

/**
 * A call from the local UI in a browser on this machine: its Origin is an admitted (loopback) UI
 * origin, it arrived over a loopback socket (not req.ip: `trust proxy` would let a header choose
 * it), it names a loopback Host (a DNS-rebinding page names its own), and no proxy relayed it (a
 * tunnel such as ngrok, started to reach the Slack route, connects from loopback too).
 * Origin alone proves nothing to a non-browser; the loopback conditions are what limit this to
 * programs on the developer's own machine, which can read the key in DATA_DIR anyway.
 */
export function localUiCall(req: Request, allowed: ReadonlySet<string>): boolean {
  const origin = req.get('origin');
  if (origin === undefined || !allowed.has(origin) || !isLoopbackHost(new URL(origin).hostname)) return false;
  const peer = req.socket.remoteAddress ?? '';
  const host = (req.get('host') ?? '').replace(/:\d+$/, '');
  return isLoopbackHost(peer) && isLoopbackHost(host) && RELAY_HEADERS.every((h) => req.get(h) === undefined);
}

/** Origin (scheme://host[:port]) of a URL, as browsers send it. */
export function originOf(url: string): string {
  return new URL(url).origin;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const payloadsBody = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }).strict()).max(10_000),
});
type JsonPayload = z.infer<typeof payloadsBody>['payloads'][number];

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return { metadata, data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')) };
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

function sign(apiToken: string, expiresAt: number): string {
  return createHmac('sha256', apiToken).update(`codec-session:${expiresAt}`).digest('base64url');
}

/** A session cookie value: expiry and an HMAC keyed by the API token (rotating the token ends all sessions). */
export function makeSessionValue(apiToken: string, expiresAt: number): string {
  return `${expiresAt}.${sign(apiToken, expiresAt)}`;
}

export function sessionValid(value: string | undefined, apiToken: string, now = Date.now()): boolean {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  if (!m) return false;
  const expiresAt = Number(m[1]);
  return expiresAt > now && secretsEqual(m[2], sign(apiToken, expiresAt));
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

const loginPage = (message: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Codec session</title></head>
<body>
<h1>Temporal UI codec session</h1>
<p>${message}</p>
<form method="post" action="session">
<label>API token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Start session</button>
</form>
<p>Then, in the Temporal Web UI, open the codec server settings, enter this service's <code>/codec</code> URL,
and tick "Include cross-origin credentials". See docs/security.md.</p>
</body></html>`;

/**
 * A login form posted from another site is refused (login CSRF). Browsers say where a request comes
 * from in Sec-Fetch-Site (and Origin); a client that sends neither is not a browser.
 */
function sameOriginPost(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.get('origin');
  return origin === undefined || origin === `${req.protocol}://${req.get('host')}`;
}

export function createCodecRouter(opts: CodecRouterOptions): Router {
  const router = Router();
  // In development a loopback UI is admitted under each name a browser may open it by.
  const allowed = new Set(opts.admitLocalUi ? opts.allowedOrigins.flatMap(loopbackAliases) : opts.allowedOrigins);

  // CORS on the codec calls: only the UI's origin(s), with credentials. Requests without Origin
  // (CLI, curl) pass to auth. The session page is same-origin and checks that itself.
  router.use(['/decode', '/encode'], (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (origin === undefined) {
      next();
      return;
    }
    if (!allowed.has(origin)) {
      res.status(403).json({ error: 'origin_not_allowed', message: 'This origin may not call the codec endpoint.' });
      return;
    }
    res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' });
    if (req.method === 'OPTIONS') {
      res.set({
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization, Authorization-Extras',
        'Access-Control-Max-Age': '600',
      });
      res.status(204).end();
      return;
    }
    next();
  });

  const authenticated: RequestHandler = (req, res, next) => {
    res.set('Cache-Control', 'no-store');
    const token = bearerToken(req);
    const ok =
      (opts.admitLocalUi === true && !token && localUiCall(req, allowed)) ||
      (opts.apiToken !== undefined &&
        (token ? secretsEqual(token, opts.apiToken) : sessionValid(readCookie(req, CODEC_SESSION_COOKIE), opts.apiToken)));
    if (!ok) {
      sendUnauthorized(res, 'Send Authorization: Bearer <API_TOKEN>, or start a session at /codec/session.');
      return;
    }
    const ns = req.get('x-namespace');
    if (ns !== undefined && ns !== opts.namespace) {
      res.status(403).json({ error: 'namespace_not_allowed', message: `This codec serves namespace "${opts.namespace}" only.` });
      return;
    }
    next();
  };

  const json = express.json({ limit: opts.bodyLimitBytes, type: () => true });
  const handle = (op: 'encode' | 'decode') => async (req: Request, res: Response) => {
    const parsed = payloadsBody.safeParse(req.body);
    if (!parsed.success) {
      res
        .status(400)
        .json({ error: 'invalid_payloads', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    let out: Payload[];
    try {
      out = await opts.codec[op](parsed.data.payloads.map(fromJson));
    } catch (err) {
      res.status(400).json({ error: `${op}_failed`, message: (err as Error).message });
      return;
    }
    res.json({ payloads: out.map(toJson) });
  };
  router.post('/decode', authenticated, json, handle('decode'));
  router.post('/encode', authenticated, json, handle('encode'));

  router.get('/session', (_req, res) => {
    // Not no-referrer here: with it, browsers send `Origin: null` on the form post and the
    // same-origin check below could not tell this page from a sandboxed attacker's.
    res.set('Referrer-Policy', 'same-origin');
    res.type('html').send(loginPage('Enter the API token to let this browser decode payloads in the Temporal UI.'));
  });
  router.post(
    '/session',
    rateLimit(opts.loginRateLimit ?? { perMinute: 10, burst: 5 }),
    express.urlencoded({ extended: false, limit: 4096 }),
    (req, res) => {
      if (!sameOriginPost(req)) {
        res.status(403).json({ error: 'origin_not_allowed', message: "Sessions start from this service's own page." });
        return;
      }
      const token = typeof (req.body as { token?: unknown } | undefined)?.token === 'string' ? (req.body as { token: string }).token : '';
      if (!opts.apiToken || !secretsEqual(token, opts.apiToken)) {
        res.status(401).type('html').send(loginPage('That token is not valid.'));
        return;
      }
      const expiresAt = Date.now() + opts.sessionTtlMs;
      res.cookie(CODEC_SESSION_COOKIE, makeSessionValue(opts.apiToken, expiresAt), {
        httpOnly: true,
        path: '/codec',
        expires: new Date(expiresAt),
        ...(opts.secureCookie ? { secure: true, sameSite: 'none' as const } : { sameSite: 'strict' as const }),
      });
      res.set('Cache-Control', 'no-store');
      res.type('html').send(loginPage(`Session started; it lasts until ${new Date(expiresAt).toISOString()}.`));
    },
  );
  return router;
}
