/**
 * The embedded default (`npm start`): everything on one machine with no credentials.
 *   1. Temporal: the CLI's dev server with a SQLite file under DATA_DIR and the Web UI, unless
 *      TEMPORAL_ADDRESS points at an existing server.
 *   2. The worker and the HTTP API, in this process.
 * Ctrl-C (SIGINT) or SIGTERM stops everything this process started, the dev server included.
 */
import './require-node';
import net from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, ConfigError } from './config/load';
import type { Config } from './config/types';
import { createLogger, type Logger } from './logger';
import { ensureTemporalCli } from './devtools/temporal-cli';
import { prepareNamespace, startDevServer, type DevServer } from './devtools/dev-server';
import { prebuiltBundlePath } from './temporal/bundle';
import { caseActivities, createCaseWorker, installRuntime, startReconciliationSchedule } from './worker';
import { startSandboxServer } from './sandbox';
import { sandboxControlAccess } from './security/sandbox-control';
import { connectClient, createApp, drainBackground } from './api';
import { assertWindowWithinRetention } from './intake/freshness';
import { resolveSecrets } from './dev-secrets';
import { createDataConverter, resolveCodecKeyring } from './temporal/data-converter';
import { localApiTokenFile } from './security/secrets';
import { HandoffMappingError, validateHandoffMapping } from './policy/handoff';
import { createServiceMetrics } from './observability/metrics';
import { assertMetricsAddressFree } from './observability/temporal-runtime';
import { installTracing } from './observability/tracing';
import { openLedger } from './ledger/connect';

async function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
  });
}

async function startTemporal(config: Config, logger: Logger): Promise<DevServer | undefined> {
  if (config.temporal.address) {
    logger.info({ address: config.temporal.address, namespace: config.temporal.namespace }, 'using existing Temporal server');
    const conn = await Connection.connect(config.temporal.connect.connectionOptions);
    try {
      await prepareNamespace(conn, config.temporal.namespace, config.temporal.dev.retentionDays);
    } catch (err) {
      // Managed namespaces (Temporal Cloud) register search attributes through their own tools.
      logger.warn(
        { err: (err as Error).message },
        'could not register search attributes / retention; register them with your Temporal admin tools',
      );
    } finally {
      await conn.close();
    }
    return undefined;
  }
  const { ip, port, uiPort } = config.temporal.dev;
  for (const p of [port, uiPort]) {
    if (await portInUse(ip, p)) {
      throw new Error(
        `Port ${p} on ${ip} is already in use. If a Temporal server runs there, set TEMPORAL_ADDRESS=${ip}:${port}; otherwise choose TEMPORAL_DEV_PORT / TEMPORAL_DEV_UI_PORT.`,
      );
    }
  }
  const cliPath = ensureTemporalCli({ cliPath: config.temporal.dev.cliPath, pathVar: config.pathVar, log: (l) => logger.info(l) });
  logger.info({ dbFile: config.temporal.dev.dbFile }, 'starting Temporal dev server');
  return startDevServer({
    cliPath,
    ip,
    port,
    uiPort,
    dbFile: config.temporal.dev.dbFile,
    namespace: config.temporal.namespace,
    retentionDays: config.temporal.dev.retentionDays,
    logFile: path.join(config.dataDir, 'temporal.log'),
    // The Web UI decrypts payloads through this service's codec endpoint (docs/security.md). When
    // the local UI is admitted without a session, it calls the endpoint on loopback: a public
    // PUBLIC_BASE_URL (a tunnel for Slack) would relay the call and lose the admission.
    uiCodecEndpoint: config.security.codecAdmitsLocalUi
      ? `http://localhost:${config.http.port}/codec`
      : `${config.http.publicBaseUrl}/codec`,
  });
}

/** A second guard beside loadConfig's: production never starts a sandbox SANDBOX_SYSTEMS did not name. */
function assertSandboxAllowed(config: Config): void {
  if (config.env !== 'production') return;
  const unnamed = config.sandbox.systems.filter((s) => !config.sandbox.explicit.includes(s));
  if (unnamed.length > 0) throw new Error(`refusing to sandbox ${unnamed.join(', ')} in production without SANDBOX_SYSTEMS`);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
    validateHandoffMapping();
  } catch (err) {
    console.error(err instanceof ConfigError || err instanceof HandoffMappingError ? err.message : err);
    process.exit(2);
  }
  const logger = createLogger({ level: config.logLevel, pretty: config.env === 'development' });
  // Before the runtime exists: once installed, the SDK core may already hold the port itself.
  if (config.worker.metricsBindAddress) {
    try {
      await assertMetricsAddressFree(config.worker.metricsBindAddress);
    } catch (err) {
      logger.fatal((err as Error).message);
      process.exit(1);
    }
  }
  installRuntime(config, logger);
  // Worker and API in one process: one tracer provider, one service name.
  const tracing = installTracing(config, { defaultServiceName: 'billing-handoffs' });

  const cleanups: (() => Promise<void>)[] = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down');
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'error during shutdown');
      }
    }
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  try {
    cleanups.push(() => tracing.shutdown());
    const devServer = await startTemporal(config, logger);
    if (devServer) cleanups.push(() => devServer.stop());

    // The sandbox stands in for every system without credentials (docs/product.md §8), and in
    // production only for the systems SANDBOX_SYSTEMS names (loadConfig refuses anything else).
    const sandboxed = config.sandbox.systems;
    assertSandboxAllowed(config);
    const ownSandbox = sandboxed.length > 0 && config.sandbox.url === `http://127.0.0.1:${config.sandbox.port}`;
    if (ownSandbox) {
      if (await portInUse('127.0.0.1', config.sandbox.port)) {
        throw new Error(
          `Sandbox port ${config.sandbox.port} is in use. If a sandbox runs there, set SANDBOX_URL=http://127.0.0.1:${config.sandbox.port}; otherwise choose SANDBOX_PORT.`,
        );
      }
      const sandbox = await startSandboxServer({
        port: config.sandbox.port,
        control: sandboxControlAccess(config),
        slack: {
          interactionsUrl: `${config.http.publicBaseUrl}/slack/interactions`,
          eventsUrl: `${config.http.publicBaseUrl}/slack/events`,
          signingSecret: resolveSecrets(config).slackSigningSecret,
        },
      });
      cleanups.push(() => sandbox.close());
      logger.info({ url: sandbox.url, systems: sandboxed }, 'sandbox started');
    }

    const ledger = await openLedger(config, (l) => logger.info(l));
    cleanups.push(() => ledger.close());

    const workerConnection = await NativeConnection.connect(config.temporal.connect.connectionOptions);
    cleanups.push(() => workerConnection.close());
    const workerDataConverter = createDataConverter(resolveCodecKeyring(config));
    const worker = await createCaseWorker({
      connection: workerConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: caseActivities(config, {
        connection: workerConnection,
        dataConverter: workerDataConverter,
        identity: `embedded-worker:${process.pid}`,
        logger,
        ledger: ledger.ledger,
      }),
      workflowBundle: { codePath: prebuiltBundlePath() },
      dataConverter: workerDataConverter,
      shutdownGraceMs: config.worker.shutdownGraceSeconds * 1000,
      maxCachedWorkflows: config.worker.maxCachedWorkflows,
      tracing,
    });
    const workerDone = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerDone;
    });
    workerDone.catch((err) => {
      logger.fatal({ err }, 'worker stopped unexpectedly');
      void shutdown(1);
    });

    const client = await connectClient(config, tracing);
    cleanups.push(() => client.connection.close());
    await assertWindowWithinRetention(client, config.temporal.namespace, config.dialnexa.maxCallAgeMs, (m) => logger.warn(m));
    await startReconciliationSchedule(config, client, logger);
    // Worker and API share this process, so /metrics also serves the runtime's (SDK + case counters).
    const metrics = createServiceMetrics({
      runtimeMetricsUrl: config.worker.metricsBindAddress ? `http://${config.worker.metricsBindAddress}/metrics` : undefined,
    });
    const app = createApp({ config, client, logger, secrets: resolveSecrets(config), metrics });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(config.http.port, () => resolve(s));
    });
    // Run in reverse: the server stops taking requests, then what it still does after answering
    // (a Slack decision's outcome) finishes, then the client closes.
    cleanups.push(() => drainBackground(app));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const lines = [
      '',
      'DialNexa billing handoffs is running:',
      `  API            ${config.http.publicBaseUrl}   (GET /healthz, GET /metrics, POST /webhooks/dialnexa, POST /slack/interactions)`,
      `  Temporal       ${devServer?.address ?? config.temporal.address}   namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}`,
      // The configured UI URL (localhost), not the dev server's IP form: the codec endpoint admits only this origin.
      `  Temporal UI    ${config.temporal.uiUrl}   (${
        config.security.codecAdmitsLocalUi && devServer
          ? 'payloads decrypted: development admits the local UI'
          : `payloads decrypt after ${config.http.publicBaseUrl}/codec/session`
      }; see docs/security.md)`,
      config.security.apiToken
        ? '  API token      from API_TOKEN'
        : `  API token      in ${localApiTokenFile(config.dataDir)} (send as Authorization: Bearer <token>)`,
      devServer ? `  Temporal data  ${config.temporal.dev.dbFile}` : '',
      `  Money ledger   ${ledger.embedded ? `PostgreSQL in ${config.ledger.dev.dir} (127.0.0.1:${config.ledger.dev.port})` : 'LEDGER_DATABASE_URL'}, schema ${config.ledger.schema}`,
      ownSandbox ? `  Sandbox        ${config.sandbox.url}   (pages at /)` : '',
      `  Sandboxed      ${sandboxed.length > 0 ? `${sandboxed.join(', ')}${config.sandbox.explicit.length > 0 ? ' (SANDBOX_SYSTEMS)' : ' (no credentials)'}${ownSandbox ? '' : ` at ${config.sandbox.url}`}` : 'none: every system uses its real service'}`,
      'Press Ctrl-C to stop everything.',
      '',
    ].filter((l) => l !== '');
    console.log(lines.join('\n'));
  } catch (err) {
    logger.fatal({ err }, 'start-up failed');
    await shutdown(1);
  }
}

void main();
