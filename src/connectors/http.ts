/**
 * The one HTTP layer under every connector: base URL + credential headers, a timeout, no retries
 * (Temporal owns them), and a uniform turn of failed responses into the named errors of
 * `errors.ts`. Each connector supplies `describeError` to read its vendor's error envelope.
 */
import { createHash } from 'node:crypto';
import { makeError, kindForStatus, parseRetryAfter, ConnectorError, TransientError, type ConnectorSystem, type ErrorKind } from './errors';
import { withClientSpan } from './spans';

/** A vendor's reading of a failed response. `kind` overrides the status-based default. */
export interface ErrorDescription {
  code?: string;
  message: string;
  kind?: ErrorKind;
  /** The vendor's documented wait when it sends no `Retry-After` (QuickBooks: 60 s after a throttle). */
  retryAfterMs?: number;
}

export interface HttpClientOptions {
  system: ConnectorSystem;
  /** Base URL without trailing slash; request paths are appended to it. */
  baseUrl: string;
  /** Credential headers for every request. */
  headers: () => Record<string, string>;
  /** Reads the vendor's error envelope (body is parsed JSON when possible, else text). */
  describeError: (status: number, body: unknown, headers: Headers) => ErrorDescription;
  timeoutMs?: number;
  /** Injected for tests; defaults to the global fetch (undici), which never retries. */
  fetch?: typeof fetch;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is (set content-type in headers). */
  body?: unknown;
  /** How to read a successful body. Default json. */
  responseType?: 'json' | 'buffer' | 'text';
  /** Statuses returned to the caller instead of thrown (e.g. Drive 409 on a reused id). */
  passStatuses?: number[];
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export class HttpClient {
  readonly system: ConnectorSystem;
  private readonly opts: HttpClientOptions;
  constructor(opts: HttpClientOptions) {
    this.opts = opts;
    this.system = opts.system;
  }

  url(path: string, query?: HttpRequest['query']): string {
    const u = new URL(this.opts.baseUrl.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** One request, in a client span (src/connectors/spans.ts: method, host, route template, status). */
  request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> {
    return withClientSpan(
      this.system,
      req.method,
      this.url(req.path),
      () => this.send<T>(req),
      (res) => res.status,
    );
  }

  private async send<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.opts.headers(), ...req.headers };
    let body: string | Buffer | undefined;
    if (req.body !== undefined) {
      if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) body = req.body;
      else {
        body = JSON.stringify(req.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    let res: Response;
    try {
      res = await (this.opts.fetch ?? fetch)(this.url(req.path, req.query), {
        method: req.method,
        headers,
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      // A refresh that failed (authorizedFetch) is already classified: permanent or not.
      if (err instanceof ConnectorError) throw err;
      // Connection refused/reset, socket closed before a response, DNS, or our timeout: the
      // write may or may not have happened, which is why every write carries an idempotency key.
      const cause = err as Error & { cause?: { code?: string } };
      throw new TransientError({ system: this.system }, `${req.method} ${req.path} failed: ${cause.cause?.code ?? cause.name}`, cause);
    }
    if (res.ok || req.passStatuses?.includes(res.status)) {
      return { status: res.status, headers: res.headers, body: (await readBody(res, res.ok ? (req.responseType ?? 'json') : 'json')) as T };
    }
    throw await this.toError(res, req);
  }

  private async toError(res: Response, req: HttpRequest): Promise<ConnectorError> {
    let parsed: unknown;
    try {
      parsed = await readBody(res, 'json');
    } catch {
      parsed = undefined;
    }
    const d = this.opts.describeError(res.status, parsed, res.headers);
    const kind = d.kind ?? kindForStatus(res.status);
    return makeError(
      kind,
      { system: this.system, status: res.status, code: d.code },
      `${req.method} ${req.path.split('?')[0]}: ${d.message}`,
      parseRetryAfter(res.headers.get('retry-after')) ?? d.retryAfterMs,
    );
  }
}

async function readBody(res: Response, type: 'json' | 'buffer' | 'text'): Promise<unknown> {
  if (type === 'buffer') return Buffer.from(await res.arrayBuffer());
  const text = await res.text();
  if (type === 'text') return text;
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Short, stable hash-based key (hex) from parts; used for idempotency keys under length limits. */
export function stableKey(parts: string[], length = 40): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, length);
}
