/**
 * The HTTP API, built by a function so tests drive it in memory; `listen` happens only when this
 * file is the entry point (or in main.ts).
 */
import './require-node';
import { randomUUID } from 'node:crypto';
import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from './config/load';
import type { Config } from './config/types';
import { createLogger, type Logger } from './logger';
import { resolveSecrets, type ServiceSecrets } from './dev-secrets';
import { mountSecurity } from './security';
import { createCasesRouter } from './cases/routes';
import { createDialNexaRouter } from './intake/routes';
import { assertWindowWithinRetention } from './intake/freshness';
import { createDataConverter, resolveCodecKeyring } from './temporal/data-converter';
import { createServiceMetrics, type ServiceMetrics } from './observability/metrics';
import { httpObservability, metricsHandler } from './observability/http';
import { registerWaitingMetrics } from './cases/waiting-metrics';
import { installTracing, TRACING_OFF, type Tracing } from './observability/tracing';
import { createSlackInteractionsRouter } from './slack/routes';
import { createSlackEventsRouter } from './slack/events';
import { createBackground } from './slack/background';
import { createHomeTab } from './slack/home-tab';
import { createSlackApi } from './connectors/slack';

export interface ApiDeps {
  config: Config;
  client: Client;
  logger: Logger;
  /** Webhook and Slack signing secrets, resolved by the caller (see dev-secrets.ts). */
  secrets: ServiceSecrets;
  /** Prometheus registry and HTTP metrics; default: a fresh one without Temporal runtime metrics. */
  metrics?: ServiceMetrics;
}

/** Waits for the work an app still does after answering (a Slack decision's outcome, the Home tab). */
export function drainBackground(app: Express): Promise<void> {
  const drain = app.locals.drainBackground as (() => Promise<void>) | undefined;
  return drain ? drain() : Promise.resolve();
}

export function createApp(deps: ApiDeps): Express {
  const { client, config, logger } = deps;
  void deps.secrets;
  const app = express();
  app.disable('x-powered-by');
  // First, so every later line of a request carries its id and every route is timed.
  const metrics = deps.metrics ?? createServiceMetrics();
  // Cases waiting for a decision and their age, read from visibility at scrape time.
  registerWaitingMetrics(metrics.registry, client);
  app.use(httpObservability(logger, metrics));
  // Headers, body limit, rate limit, /codec, then deny-by-default auth (docs/security.md).
  mountSecurity(app, { config, client, apiToken: deps.secrets.apiToken });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    try {
      // A probe must answer within its own timeout: a hung connection counts as unreachable.
      await client.connection.withDeadline(Date.now() + 3000, () => client.connection.workflowService.getSystemInfo({}));
      res.json({ status: 'ready', temporal: 'reachable', sandboxed: config.sandbox.systems });
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'readiness check failed');
      res.status(503).json({ status: 'not_ready', temporal: 'unreachable', sandboxed: config.sandbox.systems });
    }
  });

  app.get('/metrics', metricsHandler(metrics, logger));

  /** Walking skeleton: runs a trivial workflow through the worker and returns its result. */
  app.post('/selftest', async (_req, res) => {
    const nonce = randomUUID();
    const result = await client.workflow.execute('selfTest', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `selftest-${nonce}`,
      args: [{ nonce }],
      workflowExecutionTimeout: '30 seconds',
    });
    res.json(result);
  });

  app.use('/cases', createCasesRouter({ client }));
  // DialNexa post-call webhook (signed; its own raw-body parser) and its OpenAPI document.
  app.use(
    createDialNexaRouter({
      config,
      client,
      logger,
      webhookSecret: deps.secrets.dialnexaWebhookSecret,
      factsKey: deps.secrets.decisionKey,
      registry: metrics.registry,
    }),
  );
  // Slack's Request URLs (signed by Slack; public in the access gate). views.open gets a short timeout:
  // the trigger id lives 3 s. The Home tab publishes after Slack was answered: an ordinary timeout.
  const homeTab = createHomeTab({
    client,
    logger,
    slack: createSlackApi({ baseUrl: config.connectors.slack.baseUrl, token: config.connectors.slack.token, timeoutMs: 10_000 }),
    temporalUi: { url: config.temporal.uiUrl, namespace: config.temporal.namespace },
    taskQueue: config.temporal.taskQueue,
  });
  // What the Slack routes still do after answering; a shutdown waits for it (`drainBackground`).
  const background = createBackground();
  app.locals.drainBackground = () => background.drain();
  const slackInteractions = createSlackInteractionsRouter({
    client,
    logger,
    signingSecret: deps.secrets.slackSigningSecret,
    decisionKey: deps.secrets.decisionKey,
    slack: createSlackApi({ baseUrl: config.connectors.slack.baseUrl, token: config.connectors.slack.token, timeoutMs: 2000 }),
    homeTab,
    background,
  });
  app.use('/slack', slackInteractions);
  app.use('/slack', createSlackEventsRouter({ logger, signingSecret: deps.secrets.slackSigningSecret, homeTab, background }));

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not_found', message: 'No such endpoint.' });
  });
  // Express 5 forwards rejected promises here. Unknown errors are 500 with no detail leaked.
  app.use((err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status >= 500) logger.error({ err }, 'request failed');
    res.status(status).json({
      error: status >= 500 ? 'internal_error' : (err.type ?? 'bad_request'),
      message: status >= 500 ? 'Internal error.' : err.message,
    });
  });
  return app;
}

/** The API's Temporal client; with `tracing` on, its calls (case starts, decisions) carry the trace context. */
export async function connectClient(config: Config, tracing: Tracing = TRACING_OFF): Promise<Client> {
  const connection = await Connection.connect(config.temporal.connect.connectionOptions);
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: createDataConverter(resolveCodecKeyring(config)),
    interceptors: { workflow: tracing.clientInterceptors },
  });
}

/** How long a stopping API waits for requests in flight before it exits anyway. */
const API_SHUTDOWN_GRACE_MS = 10_000;

if (require.main === module) {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, pretty: config.env === 'development' });
  const tracing = installTracing(config, { defaultServiceName: 'billing-api' });
  connectClient(config, tracing)
    .then(async (client) => {
      // The freshness window must be shorter than the retention Temporal actually has (src/intake/freshness.ts).
      await assertWindowWithinRetention(client, config.temporal.namespace, config.dialnexa.maxCallAgeMs, (m) => logger.warn(m));
      const app = createApp({ config, client, logger, secrets: resolveSecrets(config) });
      const server = app.listen(config.http.port, () => logger.info({ port: config.http.port }, 'API listening'));
      // A deploy or scale-in sends SIGTERM: stop taking requests, let those in flight answer (a
      // webhook cut mid-start would be redelivered, but a Slack click would be lost to the person),
      // then send the last spans before exiting.
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'API stopping: finishing requests in flight');
        setTimeout(() => process.exit(0), API_SHUTDOWN_GRACE_MS).unref();
        server.close(() => {
          void drainBackground(app)
            .then(() => tracing.shutdown())
            .catch((err: Error) => logger.warn({ err: err.message }, 'traces not flushed'))
            .then(() => client.connection.close())
            .finally(() => process.exit(0));
        });
        server.closeIdleConnections();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    })
    .catch((err) => {
      logger.fatal({ err }, 'API failed to start');
      process.exit(1);
    });
}
