/**
 * The worker: configuration -> connector clients -> activities; workflows from the prebuilt bundle.
 * `createCaseWorker` is used by the embedded default and the tests; running this file directly
 * starts a worker against TEMPORAL_ADDRESS (production).
 */
import os from 'node:os';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { loadConfig, type Config } from './config';
import { createActivities, createConnectors, type Activities } from './activities';
import { prebuiltBundlePath } from './temporal/bundle';
import { createDataConverter, resolveCodecKeyring } from './temporal/data-converter';
import { createLogger, type Logger } from './logger';
import { validateHandoffMapping } from './policy/handoff';
import { installTemporalRuntime } from './observability/temporal-runtime';

export interface CaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** In-memory bundle (tests) or path to the prebuilt one (production). */
  workflowBundle: WorkerOptions['workflowBundle'];
  identity?: string;
  shutdownGraceMs?: number;
  /** Payload encryption (createDataConverter): required, so no worker runs without it by accident. */
  dataConverter: DataConverter;
  /** Workflows kept in the sticky cache; default DEFAULT_MAX_CACHED_WORKFLOWS. */
  maxCachedWorkflows?: number;
}

/**
 * Sticky-cache size. The SDK's default grows with the heap limit (about 2,300 on a 4 GiB heap) and a
 * cached case costs roughly 0.3 MiB of worker RSS (BENCHMARKS.md), so with thousands of cases waiting
 * for approval the cache alone would approach 1 GiB. Past this size waiting cases are evicted and
 * replayed from history when their decision arrives (tens of ms for a case's history).
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 600;

export async function createCaseWorker(opts: CaseWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    workflowBundle: opts.workflowBundle,
    dataConverter: opts.dataConverter,
    ...(opts.identity ? { identity: opts.identity } : {}),
    shutdownGraceTime: opts.shutdownGraceMs ?? 10_000,
    maxCachedWorkflows: opts.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
  });
}

/** Production-style worker: real clients from config, prebuilt bundle, runs until SIGINT/SIGTERM. */
export async function runWorker(config: Config, logger: Logger): Promise<void> {
  // Refuse to start, naming what is missing, before any case could run with an incomplete handoff.
  validateHandoffMapping();
  const connection = await NativeConnection.connect(config.temporal.connect.connectionOptions);
  const identity = `worker@${os.hostname()}:${process.pid}`;
  const worker = await createCaseWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({ workerIdentity: identity, connectors: createConnectors(config.connectors) }),
    workflowBundle: { codePath: prebuiltBundlePath() },
    dataConverter: createDataConverter(resolveCodecKeyring(config)),
    identity,
    shutdownGraceMs: config.worker.shutdownGraceSeconds * 1000,
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
  });
  logger.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker started');
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

/**
 * Installs the SDK runtime once per process: its logs go through our pino logger, its metrics
 * (SDK + per-case counters) to a Prometheus endpoint on TEMPORAL_METRICS_BIND_ADDRESS.
 */
export function installRuntime(config: Config, logger: Logger): void {
  installTemporalRuntime({ logger, level: config.logLevel, metricsBindAddress: config.worker.metricsBindAddress });
}

if (require.main === module) {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, pretty: config.env === 'development' });
  installRuntime(config, logger);
  if (config.worker.metricsBindAddress) logger.info({ metrics: `http://${config.worker.metricsBindAddress}/metrics` }, 'Temporal runtime metrics');
  runWorker(config, logger).catch((err) => {
    logger.fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
