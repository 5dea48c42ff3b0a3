/**
 * The worker: configuration -> connector clients -> activities; workflows from the prebuilt bundle.
 * `createCaseWorker` is used by the embedded default and the tests; running this file directly
 * starts a worker against TEMPORAL_ADDRESS (production).
 */
import './require-node';
import os from 'node:os';
import v8 from 'node:v8';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadConfig } from './config/load';
import type { Config } from './config/types';
import { createActivities, type Activities } from './activities/index';
import { createConnectors, type ConnectorClients } from './connectors/clients';
import { resolveDecisionKey } from './dev-secrets';
import { prebuiltBundlePath } from './temporal/bundle';
import { createDataConverter, resolveCodecKeyring } from './temporal/data-converter';
import { createLogger, type Logger } from './logger';
import { openLedger } from './ledger/connect';
import type { Ledger } from './ledger/store';
import { validateHandoffMapping } from './policy/handoff';
import { installTemporalRuntime } from './observability/temporal-runtime';
import { activityMetricsInterceptor } from './activities/metrics';
import { refreshTokenExpiryObserver } from './observability/credential-expiry';
import { installTracing, TRACING_OFF, type Tracing } from './observability/tracing';
import { ensureReconcileSchedule } from './temporal/reconcile-schedule';

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
  /** Worker Versioning: this build of a worker deployment; its cases stay pinned to it (docs/workflows.md). */
  deployment?: { name: string; buildId: string };
  /** Activity spans and the sink workflow spans leave by (installTracing); default off. */
  tracing?: Tracing;
}

/**
 * Sticky-cache size. The SDK's default grows with the heap limit (about 2,300 on a 4 GiB heap) and a
 * cached case holds ~0.3 MiB of the workflow thread's heap (its own copy of the bundle's
 * modules and its state; BENCHMARKS.md), so the cache, not the number of waiting cases, sets RSS. Past this size waiting cases are evicted and
 * replayed from history when their decision arrives (tens of ms for a case's history).
 * 300 since issue 21's ledger (600 before it, then 400): each cached case grew with the code it
 * evaluates (about 0.3 MiB each now, measured at 200 and 400 cached), and at 600 the worker held
 * 606 MiB with 10,000 waiting. With thousands waiting nearly every decision replays whatever the
 * size (600 cached of 10,000 is a 6% hit rate, 300 is 3%); the cases that run at once (tens)
 * stay cached either way.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 300;

/**
 * How a worker process is started (package.json `worker`/`start`, docker-compose.yml, Dockerfile,
 * and the bench's worker). Both are read when the process starts, so src/config/ cannot set them.
 * - `--max-old-space-size=1024`: V8 lets a heap grow to 4x its live size before a full GC when the
 *   limit is 2 GiB or more (Node's default is ~4 GiB with >= 16 GiB of RAM), ~1.6x at 1 GiB. Each
 *   isolate gets the limit: the main thread (live ~65-120 MiB) and the workflow thread (~30 MiB +
 *   ~0.3 MiB per cached case). Measured: the main heap peaked at 163 MiB instead of 300.
 * - `--max-semi-space-size=16`: Node 24's V8 sizes the young generation from the machine's memory,
 *   two 64 MiB semi-spaces per isolate on a 16 GiB+ machine (128 MiB committed as soon as the
 *   allocation rate fills it), for the main thread and the workflow thread alike. 16 MiB keeps each
 *   at 32 MiB: with 10,000 cases waiting the worker's RSS went from 769 to about 540 MiB and
 *   decision -> refund recorded got no slower (shorter scavenges; BENCHMARKS.md, issue 21).
 * - `MALLOC_ARENA_MAX=2`: glibc otherwise gives each thread (the SDK core's tokio threads, Node's
 *   threads) up to 8 x cores malloc arenas whose freed memory is not returned to the OS.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-old-space-size=1024', '--max-semi-space-size=16'];
export const WORKER_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
/** Above this V8 heap limit the process was not started with WORKER_NODE_FLAGS (the default is ~4 GiB with >= 16 GiB RAM). */
const UNTUNED_HEAP_LIMIT_BYTES = 2 * 2 ** 30;

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
    // Per-system attempt, failure, retry and money-action counters (docs/production.md, Metrics); activity spans when tracing.
    interceptors: { activity: [activityMetricsInterceptor, ...(opts.tracing ?? TRACING_OFF).activityInterceptors] },
    // Always: the bundle's workflow interceptors (src/workflows/tracing.ts) export a traced case's spans here.
    sinks: (opts.tracing ?? TRACING_OFF).workflowSinks,
    ...(opts.deployment
      ? {
          workerDeploymentOptions: {
            useWorkerVersioning: true,
            version: { deploymentName: opts.deployment.name, buildId: opts.deployment.buildId },
            // A waiting case finishes on the code it started with; a changed workflow reaches new cases only.
            defaultVersioningBehavior: 'PINNED',
          },
        }
      : {}),
  });
}

/**
 * Every activity of a worker built from configuration: connector clients, the worker's money policy
 * (read from the configuration at each use), the decision key, and a Temporal client on the
 * worker's own connection for the money locks.
 */
export function caseActivities(
  config: Config,
  opts: {
    connection: NativeConnection;
    dataConverter: DataConverter;
    identity: string;
    connectors?: ConnectorClients;
    decisionKey?: string;
    /** Where a refresh token nearing its expiry is reported (src/observability/credential-expiry.ts). */
    logger?: Logger;
    /** The money ledger (openLedger). */
    ledger: Ledger;
  },
): Activities {
  const client = new Client({ connection: opts.connection, namespace: config.temporal.namespace, dataConverter: opts.dataConverter });
  return createActivities({
    workerIdentity: opts.identity,
    connectors:
      opts.connectors ??
      createConnectors(config.connectors, {
        keyring: resolveCodecKeyring(config),
        onTokenRefreshed: refreshTokenExpiryObserver({ meter: () => Runtime.instance().metricMeter, logger: opts.logger }),
      }),
    authority: {
      policy: () => config.moneyPolicy,
      decisionKey: opts.decisionKey ?? resolveDecisionKey(config),
      temporal: { client, taskQueue: config.temporal.taskQueue },
      ledger: opts.ledger,
    },
  });
}

/** Production-style worker: real clients from config, prebuilt bundle, runs until SIGINT/SIGTERM. */
export async function runWorker(config: Config, logger: Logger): Promise<void> {
  // Refuse to start, naming what is missing, before any case could run with an incomplete handoff.
  validateHandoffMapping();
  const connection = await NativeConnection.connect(config.temporal.connect.connectionOptions);
  const identity = `worker@${os.hostname()}:${process.pid}`;
  const dataConverter = createDataConverter(resolveCodecKeyring(config));
  const tracing = installTracing(config, { defaultServiceName: 'billing-worker' });
  const ledger = await openLedger(config, (l) => logger.info(l));
  const worker = await createCaseWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: caseActivities(config, { connection, dataConverter, identity, logger, ledger: ledger.ledger }),
    workflowBundle: { codePath: prebuiltBundlePath() },
    dataConverter,
    identity,
    shutdownGraceMs: config.worker.shutdownGraceSeconds * 1000,
    maxCachedWorkflows: config.worker.maxCachedWorkflows,
    deployment: config.worker.deployment,
    tracing,
  });
  logger.info(
    { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, sandboxed: config.sandbox.systems },
    'worker started',
  );
  await startReconciliationSchedule(config, new Client({ connection, namespace: config.temporal.namespace, dataConverter }), logger);
  warnIfUntunedHeap(logger);
  try {
    await worker.run();
  } finally {
    await connection.close();
    await ledger.close();
    await tracing.shutdown();
  }
}

/**
 * The ledger reconciliation's Temporal Schedule (src/temporal/reconcile-schedule.ts), made sure of
 * at every worker start: created when missing, updated when LEDGER_RECONCILE_INTERVAL or the task
 * queue changed. A worker that cannot make sure of it does not start: money would go unreconciled.
 */
export async function startReconciliationSchedule(config: Config, client: Client, logger: Logger): Promise<void> {
  const outcome = await ensureReconcileSchedule(client, {
    taskQueue: config.temporal.taskQueue,
    intervalMs: config.ledger.reconcileIntervalMs,
  });
  logger.info(
    { schedule: 'ledger-reconciliation', every: `${Math.round(config.ledger.reconcileIntervalMs / 1000)}s`, outcome },
    'ledger reconciliation scheduled',
  );
}

/** The heap flag cannot be applied from inside the process: say so when it is missing. */
export function warnIfUntunedHeap(logger: Logger): void {
  const limit = v8.getHeapStatistics().heap_size_limit;
  if (limit >= UNTUNED_HEAP_LIMIT_BYTES) {
    logger.warn(
      {
        heapLimitMiB: Math.round(limit / 2 ** 20),
        recommended: `${WORKER_NODE_FLAGS.join(' ')} with ${Object.entries(WORKER_PROCESS_ENV)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      },
      'worker started without its memory settings: V8 lets garbage grow to 4x the live heap; start it with `npm run worker` or as docker-compose.yml does (docs/production.md, Worker memory)',
    );
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
  if (config.worker.metricsBindAddress)
    logger.info({ metrics: `http://${config.worker.metricsBindAddress}/metrics` }, 'Temporal runtime metrics');
  runWorker(config, logger).catch((err) => {
    logger.fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
