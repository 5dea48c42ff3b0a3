/**
 * A server span around one route's handler (docs/production.md, Traces), through the
 * OpenTelemetry API only, so it is a no-op while tracing is off. Started in the handler, after the
 * body parser, so everything the handler awaits runs inside the span's context (a span started in
 * a middleware before the parser would lose it to the request stream's callbacks). Each request
 * starts a new trace: a sender's `traceparent` is not trusted. Attributes: method, route template,
 * status; never the path's values, the query string or the body.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Request, Response } from 'express';

// Looked up per call, not held: a held tracer keeps the provider of its time, even after shutdown() (tests install twice).
const tracer = () => trace.getTracer('billing-api');

export function tracedRoute(route: string, handler: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response): Promise<void> =>
    tracer().startActiveSpan(
      `${req.method} ${route}`,
      { kind: SpanKind.SERVER, root: true, attributes: { 'http.request.method': req.method, 'http.route': route } },
      async (span) => {
        // 'close' also fires when the client went away; an error answered by the app's error handler is seen here too.
        res.once('close', () => {
          span.setAttribute('http.response.status_code', res.statusCode);
          if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        });
        try {
          await handler(req, res);
        } catch (err) {
          span.setAttribute('error.type', (err as Error)?.name ?? 'Error');
          throw err;
        }
      },
    );
}
