/**
 * A benchmark worker. `floor`: the bench-only trivial workflows with no-op activities, default
 * worker options, no payload codec (bare Temporal). `service`: the service's own worker
 * (createCaseWorker: the same options, bundle and encrypted data converter as production) with the
 * real activities, whose connectors talk to the sandbox over HTTP.
 */
import os from 'node:os';
import path from 'node:path';
import { openLedger } from '../../src/ledger/connect';
import { randomUUID } from 'node:crypto';
import v8 from 'node:v8';
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config/load';
import { createKeyring } from '../../src/temporal/codec';
import { createDataConverter } from '../../src/temporal/data-converter';
import { caseActivities, createCaseWorker, DEFAULT_MAX_CACHED_WORKFLOWS } from '../../src/worker';
import type { WorkerInit } from '../lib/ipc';
import type { FloorActivities } from '../workflows';
import { installWorkflowThreadProbe } from './workflow-thread-probe';

/** The ledger the service worker opened (closed, with its private PostgreSQL, when the worker stops). */
let ledgerHandle: Awaited<ReturnType<typeof openLedger>> | undefined;

const quietBundler = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (m: string) => console.error(m),
};

export async function startWorker(init: WorkerInit): Promise<{ info: Record<string, string | number>; stop: () => Promise<void> }> {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } },
  });
  const connection = await NativeConnection.connect({ address: init.address });
  const t0 = Date.now();
  let worker: Worker;
  let cache = 'SDK default';
  if (init.role === 'floor') {
    const activities: FloorActivities = { noop: async (step) => step };
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietBundler });
    worker = await Worker.create({ connection, namespace: init.namespace, taskQueue: init.taskQueue, workflowBundle, activities });
  } else {
    if (!init.sandboxUrl || !init.workflowBundlePath) throw new Error('service worker needs sandboxUrl and workflowBundlePath');
    installWorkflowThreadProbe();
    cache = String(init.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS);
    // Only the connector part of the config matters here: every system points at the sandbox.
    // The ledger: LEDGER_DATABASE_URL when the bench runner set one, else a private PostgreSQL of its own, on a fresh schema each run.
    const config = loadConfig({
      SANDBOX_URL: init.sandboxUrl,
      LOG_LEVEL: 'silent',
      DATA_DIR: path.join(os.tmpdir(), 'bench-ledger'),
      LEDGER_DEV_PORT: process.env.BENCH_LEDGER_PORT ?? '7435',
      LEDGER_SCHEMA: `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
      // Every bench refund is on the same seed customer (Acme): thousands in a week would put each
      // request in the two-approver tier by the running total, which no real customer's week does.
      // The totals are still read and summed for every request; only the tier they lead to is lifted.
      TWO_PERSON_THRESHOLDS: 'USD:10000000000,EUR:10000000000,GBP:10000000000,JPY:10000000000',
      ...(process.env.LEDGER_DATABASE_URL ? { LEDGER_DATABASE_URL: process.env.LEDGER_DATABASE_URL } : {}),
    });
    ledgerHandle = await openLedger(config);
    const ledger = ledgerHandle;
    const keyring = createKeyring([['bench', Buffer.from(init.codecKeyHex, 'hex')]], 'bench');
    const dataConverter = createDataConverter(keyring);
    worker = await createCaseWorker({
      connection,
      namespace: init.namespace,
      taskQueue: init.taskQueue,
      activities: caseActivities(
        { ...config, temporal: { ...config.temporal, namespace: init.namespace, taskQueue: init.taskQueue } },
        { connection, dataConverter, identity: `bench-worker:${process.pid}`, decisionKey: init.decisionKeyHex, ledger: ledger.ledger },
      ),
      workflowBundle: { codePath: init.workflowBundlePath },
      dataConverter,
      identity: `bench-${randomUUID().slice(0, 8)}`,
      shutdownGraceMs: 2000,
      ...(init.maxCachedWorkflows ? { maxCachedWorkflows: init.maxCachedWorkflows } : {}),
    });
  }
  const bundleMs = Date.now() - t0;
  const running = worker.run();
  running.catch((err: Error) => {
    console.error(`bench ${init.role} worker failed: ${err.message}`);
    process.exit(1);
  });
  return {
    info: {
      role: init.role,
      bundleAndCreateMs: bundleMs,
      pid: process.pid,
      maxCachedWorkflows: cache,
      mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? 'glibc default',
      nodeOptions: process.env.NODE_OPTIONS ?? '',
      heapLimitMiB: Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20),
    },
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
      // The private ledger PostgreSQL this worker started goes with it.
      await ledgerHandle?.close();
    },
  };
}
