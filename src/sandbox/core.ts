/**
 * Sandbox core: one local HTTP server standing in for the seven external APIs. Each system is a
 * plug-in (`SandboxSystem`) mounted under `/<name>`, so a connector switches between the sandbox
 * and the real service by base URL alone (e.g. QuickBooks base `http://localhost:4010/quickbooks`
 * + `/v3/company/{realm}/invoice/1`). The core records every request, injects faults per system,
 * and serves the control endpoints under `/_sandbox`.
 *
 * Vendor clients (node-quickbooks, node-zendesk, googleapis, …) address a service by host and an
 * absolute path, so each system is also reachable at the root: by `Host` (the vendor's API host or
 * `<name>.sandbox.localhost`, see `VENDOR_HOSTS`) on the shared port, or on a port of its own
 * (`systemApps`, used by `startSandboxServer({ systemPorts })` and the fidelity tests).
 *
 * It must not import service code: it stands in for other companies' servers.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { type Express, type Request, type Response, type NextFunction, type Router } from 'express';

/** The APIs, and the vendors' OAuth token endpoints in front of QuickBooks, Gmail and Drive. */
export type SystemName =
  'skyfire' | 'quickbooks' | 'quickbooks-payments' | 'hubspot' | 'gmail' | 'slack' | 'zendesk' | 'drive' | 'intuit-oauth' | 'google-oauth';

export interface RecordedRequest {
  seq: number;
  system: SystemName;
  method: string;
  /** Path after the system prefix, e.g. `/v3/company/123/invoice/1`. */
  path: string;
  query: Record<string, unknown>;
  /** Header names lower-cased; credentials replaced by `[present]`. */
  headers: Record<string, string>;
  /** Parsed JSON or form body, or the raw text. */
  body: unknown;
  status?: number;
  /** True when the response was dropped on purpose after the handler ran. */
  dropped?: boolean;
  /** True when a fault answered instead of the handler (nothing was applied). */
  faulted?: boolean;
  at: string;
}

export interface FaultSettings {
  /** Probability (0..1) of a 5xx answered before the handler runs. */
  errorRate: number;
  /** Probability of a 429 with Retry-After, before the handler runs. */
  rateLimitRate: number;
  retryAfterSeconds: number;
  /** Added latency for every request, in ms. */
  latencyMs: number;
  /** Probability that a write (non-GET) is applied and then its response dropped (socket closed). */
  dropResponseRate: number;
  /**
   * Deterministic counters for tests: the next N requests fail / are rate-limited / dropped
   * (dropped and hung count writes only). With `nextMatch` set, they count only requests whose
   * JSON body contains it (a Skyfire pay token create, not the KYA token create before it).
   */
  failNext: number;
  rateLimitNext: number;
  dropNext: number;
  /**
   * The next N writes are applied and never answered: the connection stays open, as the caller
   * sees it when it dies mid-request (tests kill the caller while it waits).
   */
  hangNext: number;
  nextMatch: string;
}

export const NO_FAULTS: FaultSettings = {
  errorRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  latencyMs: 0,
  dropResponseRate: 0,
  failNext: 0,
  rateLimitNext: 0,
  dropNext: 0,
  hangNext: 0,
  nextMatch: '',
};

/** A plug-in emulating one API. */
export interface SandboxSystem {
  name: SystemName;
  title: string;
  /** Routes at the real API's paths (relative to the system's base URL). */
  router(): Router;
  /** The API's own error envelope for an injected fault (5xx or 429). */
  faultBody(status: number): unknown;
  /** Restore seed data. */
  reset(): void;
  /** Optional human page (HTML) at /_sandbox/ui/<name>; the core renders a request table otherwise. */
  page?(records: RecordedRequest[]): string;
  /** Optional extra routes under /_sandbox/<name> (e.g. the Slack page's actions). */
  controlRouter?(): Router;
  /**
   * Writes an injected fault when the vendor's body is not JSON (e.g. QuickBooks' XML throttle
   * body). Without it the core sends `faultBody(status)` as JSON.
   */
  sendFault?(res: Response, status: number): void;
  /**
   * A documented concurrency limit (QuickBooks: 10 in-flight requests per realm and app). Requests
   * over it are answered with the system's 429 before the handler runs; the in-flight count spans
   * the injected latency, so tests can provoke it.
   */
  concurrency?: { limit: number; key(req: Request): string | undefined };
}

/** API hosts the vendors' clients call, mapped to the system that stands in for them. */
export const VENDOR_HOSTS: Record<string, SystemName> = {
  'api.skyfire.xyz': 'skyfire',
  'quickbooks.api.intuit.com': 'quickbooks',
  'sandbox-quickbooks.api.intuit.com': 'quickbooks',
  // The Payments API's hosts (Intuit's Java SDK, payments-api payment.properties).
  'api.intuit.com': 'quickbooks-payments',
  'sandbox.api.intuit.com': 'quickbooks-payments',
  'api.hubapi.com': 'hubspot',
  'gmail.googleapis.com': 'gmail',
  'www.googleapis.com': 'drive',
  'slack.com': 'slack',
};

/** The system a `Host` header names: a vendor host, `<system>.sandbox.localhost`, or `<sub>.zendesk.com`. */
export function systemForHost(host: string | undefined, names: SystemName[]): SystemName | undefined {
  const h = (host ?? '').toLowerCase().replace(/:\d+$/, '');
  if (VENDOR_HOSTS[h]) return VENDOR_HOSTS[h];
  if (h.endsWith('.zendesk.com')) return 'zendesk';
  const m = /^([a-z]+)\.sandbox\.localhost$/.exec(h);
  return m && names.includes(m[1] as SystemName) ? (m[1] as SystemName) : undefined;
}

const SECRET_HEADERS = new Set(['authorization', 'skyfire-api-key', 'skyfire-pay-id', 'x-slack-signature', 'cookie']);

export class SandboxState {
  private seq = 0;
  readonly records: RecordedRequest[] = [];
  readonly faults = new Map<SystemName, FaultSettings>();
  /** Cap so a long benchmark does not grow memory without bound. */
  maxRecords = 50_000;
  random: () => number = Math.random;

  record(r: Omit<RecordedRequest, 'seq' | 'at'>): RecordedRequest {
    const rec = { ...r, seq: ++this.seq, at: new Date().toISOString() };
    this.records.push(rec);
    if (this.records.length > this.maxRecords) this.records.splice(0, this.records.length - this.maxRecords);
    return rec;
  }

  faultsFor(system: SystemName): FaultSettings {
    let f = this.faults.get(system);
    if (!f) {
      f = { ...NO_FAULTS };
      this.faults.set(system, f);
    }
    return f;
  }

  clear(): void {
    this.records.length = 0;
    this.faults.clear();
  }
}

function sanitizeHeaders(h: Request['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = SECRET_HEADERS.has(k) ? '[present]' : Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Raw bodies (uploads, MIME) are recorded as text, capped, so records stay JSON and small. */
function recordableBody(body: unknown, contentType: string | undefined): unknown {
  if (!Buffer.isBuffer(body)) return body;
  return { contentType: contentType ?? null, bytes: body.length, text: body.toString('utf8', 0, Math.min(body.length, 4000)) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sendFault(system: SandboxSystem, res: Response, status: number): void {
  if (system.sendFault) system.sendFault(res, status);
  else res.status(status).json(system.faultBody(status));
}

function faultMiddleware(system: SandboxSystem, state: SandboxState) {
  const inFlight = new Map<string, number>();
  return async (req: Request, res: Response, next: NextFunction) => {
    const f = state.faultsFor(system.name);
    const rec = state.record({
      system: system.name,
      method: req.method,
      path: req.path,
      query: { ...req.query },
      headers: sanitizeHeaders(req.headers),
      body: recordableBody(req.body, req.headers['content-type']),
    });
    const key = system.concurrency?.key(req);
    if (system.concurrency && key !== undefined) {
      const n = inFlight.get(key) ?? 0;
      if (n >= system.concurrency.limit) {
        rec.status = 429;
        rec.faulted = true;
        sendFault(system, res, 429);
        return;
      }
      inFlight.set(key, n + 1);
      res.once('close', () => inFlight.set(key, (inFlight.get(key) ?? 1) - 1));
    }
    if (f.latencyMs > 0) await sleep(f.latencyMs);
    const counted = !f.nextMatch || JSON.stringify(req.body ?? null).includes(f.nextMatch);
    if ((f.rateLimitNext > 0 && counted) || (f.rateLimitRate > 0 && state.random() < f.rateLimitRate)) {
      if (f.rateLimitNext > 0 && counted) f.rateLimitNext--;
      rec.status = 429;
      rec.faulted = true;
      res.set('Retry-After', String(f.retryAfterSeconds));
      sendFault(system, res, 429);
      return;
    }
    if ((f.failNext > 0 && counted) || (f.errorRate > 0 && state.random() < f.errorRate)) {
      if (f.failNext > 0 && counted) f.failNext--;
      rec.status = 503;
      rec.faulted = true;
      sendFault(system, res, 503);
      return;
    }
    const write = req.method !== 'GET';
    const drop = write && ((f.dropNext > 0 && counted) || (f.dropResponseRate > 0 && state.random() < f.dropResponseRate));
    if (drop && f.dropNext > 0 && counted) f.dropNext--;
    const hang = !drop && write && f.hangNext > 0 && counted;
    if (hang) f.hangNext--;
    if (drop || hang) rec.dropped = true;
    // The status is what the handler answered, whether or not the caller was still there to get it
    // (a caller killed mid-request closes the socket and 'finish' never fires, yet the write was
    // applied and the records must count it). A dropped answer closes the connection instead; a
    // hung one never answers, so the caller waits until it gives up (or dies).
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = ((...args: unknown[]) => {
      rec.status = res.statusCode;
      if (drop) req.socket.destroy();
      return drop || hang ? res : end(...args);
    }) as typeof res.end;
    next();
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function recordsTable(records: RecordedRequest[]): string {
  const rows = records
    .slice(-500)
    .reverse()
    .map(
      (r) =>
        `<tr><td>${r.seq}</td><td>${escapeHtml(r.at)}</td><td>${r.method}</td><td><code>${escapeHtml(r.path)}</code></td><td>${r.status ?? ''}${r.dropped ? ' (dropped)' : ''}${r.faulted ? ' (fault)' : ''}</td><td><pre>${escapeHtml(JSON.stringify(r.body ?? null, null, 1)).slice(0, 4000)}</pre></td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>#</th><th>at</th><th>method</th><th>path</th><th>status</th><th>body</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d1c1d}table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:4px 6px;vertical-align:top;font-size:13px}pre{margin:0;white-space:pre-wrap;max-height:12rem;overflow:auto}nav a{margin-right:1rem}
</style></head><body>${body}</body></html>`;
}

/** `gate`: per system, a check that runs before its routes (the OAuth token check in front of an API). */
/**
 * Who may use the control routes (`/_sandbox/...`: recorded bodies, faults, reset, signed Slack
 * clicks as any seeded user): `open` on a developer's loopback; `{ token }` requires
 * `Authorization: Bearer <token>` (the service's API token when SANDBOX_SYSTEMS runs a sandbox
 * outside development); `off` serves none of them.
 */
export type SandboxControlAccess = 'open' | 'off' | { token: string };

/** Bearer check in constant time; 404 when the control plane is off (it does not exist). */
function controlGate(access: SandboxControlAccess) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (access === 'open') return next();
    if (access === 'off') return void res.status(404).json({ error: 'not found' });
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const given = Buffer.from(m?.[1] ?? '');
    const want = Buffer.from(access.token);
    if (given.length === want.length && timingSafeEqual(given, want)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="sandbox control"').status(401).json({ error: 'unauthorized' });
  };
}

export function createSandboxApp(
  systems: SandboxSystem[],
  state = new SandboxState(),
  gate?: (system: SystemName) => ((req: Request, res: Response, next: NextFunction) => void) | undefined,
  opts: { control?: SandboxControlAccess } = {},
): { app: Express; state: SandboxState; systemApps: Map<SystemName, Express> } {
  const app = express();
  app.disable('x-powered-by');
  const mounts = new Map<SystemName, Router>();
  // Routing by Host comes first: a request for `quickbooks.api.intuit.com/v3/...` is QuickBooks'.
  app.use((req, res, next) => {
    const name = systemForHost(
      req.headers.host,
      systems.map((s) => s.name),
    );
    const mount = name && mounts.get(name);
    if (mount) mount(req, res, next);
    else next();
  });
  const byName = new Map(systems.map((s) => [s.name, s]));
  const nav = () =>
    `<nav><a href="/">Sandbox</a>${systems.map((s) => `<a href="/_sandbox/ui/${s.name}">${escapeHtml(s.title)}</a>`).join('')}</nav>`;

  // Control plane (tests, the browser page, the benchmark).
  const control = express.Router();
  control.use(controlGate(opts.control ?? 'open'));
  control.use(express.json());
  control.get('/records', (req, res) => {
    const system = req.query.system as string | undefined;
    const since = Number(req.query.since ?? 0);
    res.json(state.records.filter((r) => (!system || r.system === system) && r.seq > since));
  });
  control.get('/faults', (_req, res) => {
    res.json(Object.fromEntries(systems.map((s) => [s.name, state.faultsFor(s.name)])));
  });
  control.post('/faults/:system', (req, res) => {
    const names = req.params.system === 'all' ? systems.map((s) => s.name) : [req.params.system as SystemName];
    for (const n of names) {
      if (!byName.has(n)) {
        res.status(404).json({ error: `unknown system ${n}` });
        return;
      }
      Object.assign(state.faultsFor(n), { ...NO_FAULTS, ...(req.body as Partial<FaultSettings>) });
    }
    res.json(Object.fromEntries(names.map((n) => [n, state.faultsFor(n)])));
  });
  control.post('/reset', (_req, res) => {
    state.clear();
    for (const s of systems) s.reset();
    res.json({ reset: true });
  });
  control.get('/ui/:system', (req, res) => {
    const sys = byName.get(req.params.system as SystemName);
    if (!sys) {
      res.status(404).send('unknown system');
      return;
    }
    const recs = state.records.filter((r) => r.system === sys.name);
    res
      .type('html')
      .send(
        sys.page
          ? sys.page(recs)
          : htmlPage(
              `${sys.title} — sandbox`,
              `${nav()}<h1>${escapeHtml(sys.title)}</h1><p>${recs.length} requests received.</p>${recordsTable(recs)}`,
            ),
      );
  });
  for (const s of systems) {
    if (s.controlRouter) control.use(`/${s.name}`, s.controlRouter());
  }
  app.use('/_sandbox', control);

  app.get('/', (_req, res) => {
    const counts = systems
      .map(
        (s) =>
          `<li><a href="/_sandbox/ui/${s.name}">${escapeHtml(s.title)}</a>: ${state.records.filter((r) => r.system === s.name).length} requests</li>`,
      )
      .join('');
    res
      .type('html')
      .send(
        htmlPage(
          'Sandbox',
          `${nav()}<h1>Sandbox</h1><p>Local stand-ins for the external APIs. Every request is recorded.</p><ul>${counts}</ul>`,
        ),
      );
  });

  for (const s of systems) {
    const mount = express.Router();
    // Body parsers first so the recorder sees parsed bodies; each system may parse raw bodies itself
    // (e.g. multipart uploads) since these leave unknown content types untouched.
    mount.use(express.json({ limit: '10mb' }));
    mount.use(express.urlencoded({ extended: true, limit: '10mb' }));
    // Anything else (multipart uploads, octet-stream) arrives as a Buffer.
    mount.use(express.raw({ type: () => true, limit: '10mb' }));
    mount.use(faultMiddleware(s, state));
    const check = gate?.(s.name);
    if (check) mount.use(check);
    mount.use(s.router());
    mounts.set(s.name, mount);
    app.use(`/${s.name}`, mount);
  }
  // One app per system, serving it at the root (the same router, records and faults).
  const systemApps = new Map<SystemName, Express>();
  for (const [name, mount] of mounts) {
    const one = express();
    one.disable('x-powered-by');
    one.use(mount);
    systemApps.set(name, one);
  }
  return { app, state, systemApps };
}
