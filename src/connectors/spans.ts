/**
 * One OpenTelemetry client span per call to an external system (docs/production.md, Traces),
 * through the OpenTelemetry API only: with tracing off (src/observability/tracing.ts registers
 * nothing) the API's no-op tracer makes this a pass-through. Attributes: method, host, port,
 * route template (ids replaced by `{id}`, never the query string), status code and the system.
 * Never bodies, headers or query strings: they carry emails, names and search terms.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { ConnectorSystem } from './errors';

// Looked up per call, not held: a held tracer keeps the provider of its time, even after shutdown() (tests install twice).
const tracer = () => trace.getTracer('billing-connectors');

/** Segments kept as they are: API nouns and method names (`invoice`, `chat.postMessage`, `tickets.json`) and versions (`v3`). */
const PLAIN_SEGMENT = /^(?:v\d{1,2}|[A-Za-z_][A-Za-z_.-]{0,39})$/;

/**
 * The path as a template: every segment that is not a plain word becomes `{id}` (numbers, UUIDs,
 * realm ids, encoded values such as an email address), keeping a `.json` style suffix.
 * `/v3/company/9130350000000001/invoice/145` -> `/v3/company/{id}/invoice/{id}`.
 */
export function urlTemplate(pathname: string): string {
  return pathname
    .split('/')
    .map((seg) => {
      if (seg === '' || PLAIN_SEGMENT.test(seg)) return seg;
      const ext = /\.(json|pdf|xml)$/.exec(seg);
      return ext ? `{id}.${ext[1]}` : '{id}';
    })
    .join('/');
}

/** Runs `fn` inside a client span named `METHOD /route/{id}`; the status comes from the result or the error's `status`. */
export async function withClientSpan<T>(
  system: ConnectorSystem,
  method: string,
  url: string,
  fn: () => Promise<T>,
  statusOf: (result: T) => number | undefined,
): Promise<T> {
  const u = new URL(url);
  const route = urlTemplate(u.pathname);
  const attributes: Attributes = {
    'http.request.method': method,
    'server.address': u.hostname,
    'server.port': Number(u.port) || (u.protocol === 'https:' ? 443 : 80),
    'url.template': route,
    'billing.system': system,
  };
  return tracer().startActiveSpan(`${method} ${route}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      const result = await fn();
      const status = statusOf(result);
      if (status !== undefined) span.setAttribute('http.response.status_code', status);
      return result;
    } catch (err) {
      const e = err as { status?: number; name?: string };
      if (typeof e.status === 'number') span.setAttribute('http.response.status_code', e.status);
      // The class name (TransientError, RateLimitedError...), never the message: it can quote the vendor.
      span.setAttribute('error.type', e.name ?? 'Error');
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}
