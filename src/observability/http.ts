/**
 * Everything the HTTP edge needs for operators: request ids, HTTP metrics, one access log line per
 * request, and the `/metrics` handler. Mounted first in createApp so every route is covered.
 */
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Logger } from '../logger';
import { requestIdMiddleware } from './request-context';
import { routeTemplate, type ServiceMetrics } from './metrics';

/** Logs method, route template, status and duration; never the query string or body (they can carry PII). */
export function accessLogMiddleware(logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      // Health probes every few seconds would drown the log: debug level for them.
      const quiet = res.statusCode < 400 && ['/healthz', '/readyz', '/metrics'].includes(req.path);
      const at = quiet ? 'debug' : level;
      if (!logger.isLevelEnabled(at)) return;
      logger[at](
        { method: req.method, route: routeTemplate(req), status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        'request completed',
      );
    });
    next();
  };
}

/** Request id, metrics and access log, in that order (the id must exist before anything logs). */
export function httpObservability(logger: Logger, metrics: ServiceMetrics): RequestHandler[] {
  return [requestIdMiddleware(), metrics.httpMiddleware, accessLogMiddleware(logger)];
}

/** GET /metrics: Prometheus text. */
export function metricsHandler(metrics: ServiceMetrics, logger: Logger): RequestHandler {
  return async (_req: Request, res: Response) => {
    const body = await metrics.render(logger);
    res.setHeader('Content-Type', metrics.contentType);
    res.send(body);
  };
}
