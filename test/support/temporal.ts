/**
 * Test access to the real Temporal server: client and worker connections, the workflow bundle
 * (built once per run), and fresh task queues so tests never see each other's work.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataConverter } from '@temporalio/common';
import { Client, Connection, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  makeTelemetryFilterString,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { freePort, prepareNamespace, startDevServerOnFreePort, type DevServer } from '../../src/devtools/dev-server';
import { buildWorkflowBundle } from '../../src/temporal/bundle';
import { createCaseWorker } from '../../src/worker';
import { createActivities, type Activities } from '../../src/activities/index';
import type { ConnectorClients } from '../../src/connectors/clients';
import type { MoneyPolicy } from '../../src/domain/policy';
import { TEST_DECISION_KEY, testMoneyPolicy } from './policy';
import { createKeyring, type CodecKeyring } from '../../src/temporal/codec';
import { createDataConverter } from '../../src/temporal/data-converter';
import type { Ledger } from '../../src/ledger/store';
import { newTestLedger } from './ledger';

export const NAMESPACE = 'default';

let server: DevServer | undefined;
let address: string | undefined;
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
let runtimeInstalled = false;
let runtimeMetrics: string | undefined;

export async function startTestServer(): Promise<void> {
  if (!runtimeInstalled) {
    // Quiet runtime logs: the SDK's core only speaks up for real problems.
    // Runtime metrics on a free local port, so tests can read the SDK's Prometheus output (case counters).
    const metricsPort = await freePort();
    runtimeMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
    Runtime.install({
      // Activity failures the tests provoke on purpose are logged by the SDK at WARN with stacks;
      // keep the output readable. TEST_TEMPORAL_LOG_LEVEL=WARN (or DEBUG) shows them when debugging.
      logger: new DefaultLogger((process.env.TEST_TEMPORAL_LOG_LEVEL as 'WARN' | undefined) ?? 'ERROR'),
      telemetryOptions: {
        logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) },
        metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } },
      },
    });
    runtimeInstalled = true;
  }
  if (process.env.TEMPORAL_TEST_ADDRESS) {
    address = process.env.TEMPORAL_TEST_ADDRESS;
    const conn = await Connection.connect({ address });
    await prepareNamespace(conn, NAMESPACE, 1);
    await conn.close();
    return;
  }
  const cliPath = ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVar: process.env.PATH });
  server = await startDevServerOnFreePort({ cliPath, namespace: NAMESPACE, retentionDays: 1, startTimeoutMs: 90_000 });
  address = server.address;
}

export async function stopTestServer(): Promise<void> {
  await server?.stop();
  server = undefined;
}

export function temporalAddress(): string {
  if (!address) throw new Error('Temporal test server not started (is test/support/global-fixture.ts required by mocha?)');
  return address;
}

/** The test runtime's Prometheus endpoint (worker and workflow metrics of every test worker). */
export function runtimeMetricsUrl(): string {
  if (!runtimeMetrics) throw new Error('Temporal test runtime not installed (is test/support/global-fixture.ts required by mocha?)');
  return runtimeMetrics;
}

/** The dev server process, for tests that stop and restart it. */
export function testServer(): DevServer | undefined {
  return server;
}

// Every test runs encrypted, like production: one random key per run.
const keyring = createKeyring([['test-run-key', randomBytes(32)]], 'test-run-key');

/** The keyring test clients and workers encrypt payloads with. */
export function testCodecKeyring(): CodecKeyring {
  return keyring;
}

/** The data converter of testClient/startTestWorker; give it to any worker or client a test builds itself. */
export function testDataConverter(): DataConverter {
  return createDataConverter(keyring);
}

export async function testClient(dataConverter: DataConverter = testDataConverter()): Promise<Client> {
  const connection = await Connection.connect({ address: temporalAddress() });
  return new Client({ connection, namespace: NAMESPACE, dataConverter });
}

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= buildWorkflowBundle();
  return bundle;
}

/**
 * Test clean-up: terminates a case that may still be running. One that completed meanwhile (a busy
 * machine lets it run on between the test's last look and this call) is left as it is; the server
 * answers that with WorkflowNotFoundError ("workflow execution already completed").
 */
export async function terminateIfRunning(handle: WorkflowHandle, reason = 'test done'): Promise<void> {
  try {
    await handle.terminate(reason);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Starts a worker on a fresh task queue; call `stop()` in `after`. */
export async function startTestWorker(
  activities: Activities,
  taskQueue = uniqueTaskQueue(),
  dataConverter: DataConverter = testDataConverter(),
) {
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const worker: Worker = await createCaseWorker({
    connection,
    namespace: NAMESPACE,
    taskQueue,
    activities,
    workflowBundle: await workflowBundle(),
    dataConverter,
    shutdownGraceMs: 1000,
  });
  const running = worker.run();
  return {
    worker,
    taskQueue,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/**
 * A worker with the real activities over `connectors` (usually the sandbox's), the real gate and
 * money path: the worker's policy is `policy` (a function, so a test can change it while cases
 * wait), decisions verify with TEST_DECISION_KEY, money locks go through this test server.
 */
export async function startServiceWorker(
  connectors: ConnectorClients,
  opts: {
    policy?: () => MoneyPolicy;
    taskQueue?: string;
    identity?: string;
    dataConverter?: DataConverter;
    /** Workers that must share one ledger (a race between two workers) pass the same one; default a fresh one. */
    ledger?: Ledger;
  } = {},
) {
  const taskQueue = opts.taskQueue ?? uniqueTaskQueue('service');
  const client = await testClient(opts.dataConverter);
  const ledger = opts.ledger ?? newTestLedger();
  const activities = createActivities({
    workerIdentity: opts.identity ?? 'service-test-worker',
    connectors,
    authority: {
      policy: opts.policy ?? (() => testMoneyPolicy()),
      decisionKey: TEST_DECISION_KEY,
      temporal: { client, taskQueue },
      ledger,
    },
  });
  const w = await startTestWorker(activities, taskQueue, opts.dataConverter);
  return {
    ...w,
    client,
    ledger,
    async stop() {
      await w.stop();
      await client.connection.close();
    },
  };
}
