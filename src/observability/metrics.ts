/**
 * Prometheus metrics of the HTTP process: request counts and latency by route template (never the
 * raw path, which would carry ids and blow up cardinality), Node process metrics, and, when this
 * process also runs the worker, the Temporal runtime's metrics (including the per-case-type
 * counters) fetched from the SDK core's local Prometheus exporter and served on the same `/metrics`.
 *
 * Why proxy instead of the SDK's experimental buffered-metrics API: the core exporter is the
 * supported path, speaks Prometheus text already, and keeps the SDK's metric names and labels
 * exactly as Temporal's dashboards expect. One registry per app (not prom-client's global one),
 * so tests can build several apps in one process.
 */
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../logger';

export interface ServiceMetricsOptions {
  /** URL of the Temporal runtime's Prometheus endpoint in this process (e.g. http://127.0.0.1:9464/metrics). */
  runtimeMetricsUrl?: string;
  /** Skip Node process metrics (tests). */
  defaultMetrics?: boolean;
}

/** The metrics an app exposes. */
export interface ServiceMetrics {
  registry: Registry;
  /** Express middleware that times every request. */
  httpMiddleware: RequestHandler;
  /** Prometheus text: this registry plus the Temporal runtime's metrics when configured. */
  render(logger?: Logger): Promise<string>;
  contentType: string;
}

export function createServiceMetrics(opts: ServiceMetricsOptions = {}): ServiceMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const runtimeScrapeErrors = new Counter({
    name: 'billing_runtime_metrics_scrape_errors_total',
    help: "Failed reads of the Temporal runtime's metrics endpoint",
    registers: [registry],
  });

  const httpMiddleware: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const labels = { method: req.method, route: routeTemplate(req), status: String(res.statusCode) };
      requests.inc(labels);
      end(labels);
    });
    next();
  };

  return {
    registry,
    httpMiddleware,
    contentType: registry.contentType,
    async render(logger?: Logger) {
      let runtime = '';
      if (opts.runtimeMetricsUrl) {
        try {
          const res = await fetch(opts.runtimeMetricsUrl, { signal: AbortSignal.timeout(2000) });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          runtime = await res.text();
        } catch (err) {
          runtimeScrapeErrors.inc();
          logger?.warn({ err: (err as Error).message }, 'could not read Temporal runtime metrics');
        }
      }
      const own = await registry.metrics();
      return runtime ? `${own.trimEnd()}\n${runtime.trimEnd()}\n` : own;
    },
  };
}

/** `/webhooks/dialnexa`, `/cases/:id`; `unmatched` for 404s so scanners cannot create label values. */
export function routeTemplate(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route;
  if (!route || typeof route.path !== 'string') return 'unmatched';
  return `${req.baseUrl}${route.path}` || '/';
}
