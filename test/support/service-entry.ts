/**
 * Child-process entry for the reliability harness (test/support/service.ts): runs ONE part of the
 * service (`sandbox`, `api` or `worker`) the way production wires it, so a test can SIGKILL and
 * restart that part alone. Configuration comes from the environment through src/config/, exactly
 * as in production; the only extra input is the workflow bundle path (argv) for the worker, built
 * once per test run instead of `npm run build`.
 *
 *   node --import tsx test/support/service-entry.ts sandbox <port>
 *   node --import tsx test/support/service-entry.ts api
 *   node --import tsx test/support/service-entry.ts worker <bundle.js>
 */
import { openLedger } from '../../src/ledger/connect';
import type { Server } from 'node:http';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { createSandbox, SYSTEM_FACTORIES } from '../../src/sandbox';
import { createSlackSystem } from '../../src/sandbox/systems/slack/system';
import { connectClient, createApp, drainBackground } from '../../src/api';
import { resolveSecrets } from '../../src/dev-secrets';
import { caseActivities, createCaseWorker, installRuntime } from '../../src/worker';
import { createDataConverter, resolveCodecKeyring } from '../../src/temporal/data-converter';

const [role, arg] = process.argv.slice(2);

function ready(info: Record<string, unknown>): void {
  // One machine-readable line the harness waits for.
  console.log(`READY ${JSON.stringify({ role, pid: process.pid, ...info })}`);
}

async function runSandbox(port: number): Promise<void> {
  // Slack's sandbox system joins the shared list when its engineer registers it; until then add it here.
  const probe = SYSTEM_FACTORIES.map((f) => f().name);
  const factories = probe.includes('slack') ? SYSTEM_FACTORIES : [...SYSTEM_FACTORIES, createSlackSystem];
  const { app } = createSandbox({ factories });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
  ready({ port });
}

async function runApi(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const client = await connectClient(config);
  const app = createApp({ config, client, logger, secrets: resolveSecrets(config) });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.http.port, '127.0.0.1', () => resolve(s));
  });
  // As the API's own SIGTERM: what a click still does after answering ends before the client closes.
  process.once('SIGTERM', () =>
    server.close(() => void drainBackground(app).finally(() => void client.connection.close().finally(() => process.exit(0)))),
  );
  ready({ port: config.http.port });
}

async function runWorker(bundlePath: string): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  installRuntime(config, logger);
  const connection = await NativeConnection.connect(config.temporal.connect.connectionOptions);
  const identity = `reliability-worker:${process.pid}`;
  const dataConverter = createDataConverter(resolveCodecKeyring(config));
  const ledger = await openLedger(config);
  const worker = await createCaseWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: caseActivities(config, { connection, dataConverter, identity, ledger: ledger.ledger }),
    workflowBundle: { codePath: bundlePath },
    dataConverter,
    identity,
    shutdownGraceMs: 1000,
    deployment: config.worker.deployment,
  });
  process.once('SIGTERM', () => worker.shutdown());
  const running = worker.run();
  ready({ taskQueue: config.temporal.taskQueue, buildId: config.worker.deployment?.buildId });
  await running;
  await connection.close();
  await ledger.close();
  process.exit(0);
}

const main =
  role === 'sandbox'
    ? runSandbox(Number(arg))
    : role === 'api'
      ? runApi()
      : role === 'worker'
        ? runWorker(String(arg))
        : Promise.reject(new Error(`unknown role ${role}`));
main.catch((err: unknown) => {
  console.error(`FATAL ${role}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
