/**
 * `npm run bench` (full) and `npm run bench:quick` (CI smoke): the service measured beside the
 * Temporal floor on the same server in the same run. See BENCHMARKS.md for what each figure means.
 *
 *   tsx bench/run.ts [--quick] [--temporal-address host:port] [--out dir] [--sqlite-pragma k=v ...]
 *                    [--waiting N] [--approvals N] [--only cost,ingest,e2e,waiting] [--max-cached-workflows N]
 *                    [--worker-env NAME=value ...] [--worker-node-flag FLAG ... | none] [--waiting-budget-seconds N]
 *                    [--cluster] [--service-workers N]
 *
 * The service worker is launched as production launches a worker (WORKER_NODE_FLAGS and
 * WORKER_PROCESS_ENV of src/worker.ts); --worker-env / --worker-node-flag change that for experiments.
 *
 * Without --temporal-address a file-backed dev server is started (and removed) under the output
 * folder; with --cluster, the project's own cluster (PostgreSQL, temporal-server 1.32.1, 4 shards;
 * src/devtools/cluster.ts) instead, and two service workers unless --service-workers says otherwise. Children: a floor worker (bench-only workflows), the service worker (the real bundle and
 * activities), and two API + sandbox processes (one in front of the service queue, one in front of
 * an unpolled queue for the ingest measurement).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { buildWorkflowBundle } from '../src/temporal/bundle';
import { createKeyring } from '../src/temporal/codec';
import { createDataConverter } from '../src/temporal/data-converter';
import { WORKER_NODE_FLAGS, WORKER_PROCESS_ENV } from '../src/worker';
import { CallKind } from './lib/calls';
import { SIZES, type BenchContext } from './lib/context';
import { BenchChild } from './lib/ipc';
import { machine } from './lib/procfs';
import { checkTargets, writeReport, type BenchReport } from './lib/report';
import { DEFAULT_PRAGMAS, startBenchServer } from './lib/server';
import { runCost } from './scenarios/cost';
import { runE2E } from './scenarios/e2e';
import { runIngest } from './scenarios/ingest';
import { runWaiting } from './scenarios/waiting';

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

const PHASES = ['cost', 'ingest', 'e2e', 'waiting'] as const;
type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  mode: 'quick' | 'full';
  temporalAddress?: string;
  outDir: string;
  pragmas: string[];
  waiting?: number;
  approvals?: number;
  /** Approvals in flight at once (full: 8). */
  approvalConcurrency?: number;
  /** Overrides the service worker's shipped sticky-cache size (to measure the trade-off). */
  maxCachedWorkflows?: number;
  /** Service worker process: environment added to / overriding WORKER_PROCESS_ENV (experiments, e.g. MALLOC_ARENA_MAX=8). */
  workerEnv?: Record<string, string>;
  /** Service worker process: node flags instead of WORKER_NODE_FLAGS (experiments; `none` for none). */
  workerNodeFlags?: string[];
  /** Filling-and-settling budget of the waiting phase, s (default: what is left of 14 minutes); 10,000 cases need ~15-20 min. */
  waitingBudgetSeconds?: number;
  /** Run on the project's own cluster instead of a dev server. */
  cluster?: boolean;
  /** Service worker processes on the service queue (default 1; 2 with --cluster). The first one is the one measured. */
  serviceWorkers?: number;
  /** Dev server dynamic config added to / overriding BENCH_SERVER_CONFIG (experiments). */
  serverConfig?: Record<string, string | number | boolean>;
  only: Phase[];
}

/** Repeated `--name key=value` options as an object; undefined when none was given. */
function keyValues<V>(name: string, list: string[] | undefined, value: (raw: string) => V): Record<string, V> | undefined {
  if (!list) return undefined;
  return Object.fromEntries(
    list.map((kv) => {
      const i = kv.indexOf('=');
      if (i < 1) throw new BenchUsageError(`--${name} must be key=value, got "${kv}"`);
      return [kv.slice(0, i), value(kv.slice(i + 1))];
    }),
  );
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      'temporal-address': { type: 'string' },
      out: { type: 'string' },
      'sqlite-pragma': { type: 'string', multiple: true },
      waiting: { type: 'string' },
      approvals: { type: 'string' },
      'approval-concurrency': { type: 'string' },
      only: { type: 'string' },
      'max-cached-workflows': { type: 'string' },
      'worker-env': { type: 'string', multiple: true },
      'worker-node-flag': { type: 'string', multiple: true },
      'waiting-budget-seconds': { type: 'string' },
      'server-config': { type: 'string', multiple: true },
      cluster: { type: 'boolean', default: false },
      'service-workers': { type: 'string' },
    },
    strict: true,
  });
  const int = (name: string, v?: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new BenchUsageError(`--${name} must be a positive integer, got "${v}"`);
    return n;
  };
  // The full run no longer carries the 10,000-waiting phase (its own command: --only waiting, ~15-20
  // min alone); quick keeps its small waiting phase (the CI smoke covers every phase).
  const only = values.only
    ? values.only.split(',').map((s) => s.trim())
    : values.quick
      ? [...PHASES]
      : PHASES.filter((p) => p !== 'waiting');
  for (const p of only)
    if (!PHASES.includes(p as Phase)) throw new BenchUsageError(`--only: unknown phase "${p}" (phases: ${PHASES.join(', ')})`);
  return {
    mode: values.quick ? 'quick' : 'full',
    temporalAddress: values['temporal-address'],
    outDir: path.resolve(values.out ?? path.join(__dirname, 'results')),
    pragmas: values['sqlite-pragma'] ?? DEFAULT_PRAGMAS,
    waiting: int('waiting', values.waiting),
    approvals: int('approvals', values.approvals),
    approvalConcurrency: int('approval-concurrency', values['approval-concurrency']),
    maxCachedWorkflows: int('max-cached-workflows', values['max-cached-workflows']),
    workerEnv: keyValues('worker-env', values['worker-env'], (raw) => raw),
    workerNodeFlags: values['worker-node-flag']?.filter((f) => f !== 'none'),
    waitingBudgetSeconds: int('waiting-budget-seconds', values['waiting-budget-seconds']),
    serverConfig: keyValues('server-config', values['server-config'], (raw) =>
      raw === 'true' ? true : raw === 'false' ? false : raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw,
    ),
    only: only as Phase[],
    cluster: values.cluster,
    serviceWorkers: int('service-workers', values['service-workers']),
  };
}

/** The issue's limit for the full run on a 2-core machine. */
const FULL_RUN_MS = 15 * 60_000;

export async function runBench(
  opts: BenchOptions,
  log: (line: string) => void = (l) => console.log(l),
  signal?: AbortSignal,
): Promise<BenchReport> {
  const started = Date.now();
  const sizes = {
    ...SIZES[opts.mode],
    ...(opts.waiting ? { waitingCases: opts.waiting } : {}),
    ...(opts.approvals ? { approvals: opts.approvals } : {}),
    ...(opts.approvalConcurrency ? { approvalConcurrency: opts.approvalConcurrency } : {}),
  };
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;
  const progress = (line: string) => log(`[bench ${elapsed()}] ${line}`);
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err: Error) => log(`cleanup: ${err.message}`));
  };
  signal?.addEventListener('abort', () => {
    progress(`${String(signal.reason)}: stopping processes`);
    void cleanUp().finally(() => process.exit(130));
  });
  const report: BenchReport = {
    mode: opts.mode,
    startedAt: new Date(started).toISOString(),
    durationSeconds: 0,
    machine: machine(),
    server: { address: '', startedByBench: false, pragmas: [], dynamicConfig: {} },
    children: {},
    skipped: [],
    targets: [],
  };
  try {
    if (opts.cluster && opts.temporalAddress) throw new BenchUsageError('--cluster and --temporal-address exclude each other');
    if (opts.cluster) progress('starting the project cluster (PostgreSQL + temporal-server; src/devtools/cluster.ts)');
    else
      progress(
        opts.temporalAddress
          ? `using Temporal at ${opts.temporalAddress}`
          : `starting file-backed dev server (pragmas ${opts.pragmas.join(', ')}${
              opts.serverConfig
                ? `; dynamic config ${Object.entries(opts.serverConfig)
                    .map(([k, v]) => `${k}=${String(v)}`)
                    .join(', ')} over the project's defaults`
                : ''
            })`,
      );
    const server = await startBenchServer({
      reuseAddress: opts.temporalAddress,
      cluster: opts.cluster,
      dir: opts.outDir,
      pragmas: opts.pragmas,
      dynamicConfig: opts.serverConfig ?? {},
    });
    cleanups.push(() => server.stop());
    report.server = {
      address: server.address,
      startedByBench: server.owned,
      pragmas: server.pragmas,
      dynamicConfig: server.dynamicConfig,
      ...(server.dbFile ? { dbFile: server.dbFile } : {}),
      ...(opts.cluster ? { cluster: true } : {}),
      serviceWorkers: opts.serviceWorkers ?? (opts.cluster ? 2 : 1),
    };

    const tag = randomBytes(3).toString('hex');
    const queues = {
      floor: `bench-floor-${tag}`,
      floorUnpolled: `bench-floor-unpolled-${tag}`,
      service: `bench-service-${tag}`,
      serviceUnpolled: `bench-service-unpolled-${tag}`,
    };
    const codecKeyHex = randomBytes(32).toString('hex');
    const secrets = {
      webhookSecret: randomBytes(24).toString('hex'),
      slackSigningSecret: randomBytes(24).toString('hex'),
      apiToken: randomBytes(32).toString('hex'),
    };
    const decisionKeyHex = randomBytes(32).toString('hex');
    const base = { address: server.address, namespace: server.namespace, codecKeyHex, decisionKeyHex };

    progress('starting API + sandbox processes');
    const edge = await BenchChild.start('edge', { kind: 'edge', ...base, taskQueue: queues.service, ...secrets });
    cleanups.push(() => edge.child.stop());
    const ingestEdge = await BenchChild.start('ingest-edge', { kind: 'edge', ...base, taskQueue: queues.serviceUnpolled, ...secrets });
    cleanups.push(() => ingestEdge.child.stop());
    progress('starting workers (bundling workflow code)');
    // The service worker loads a bundle file as production does (runWorker: `{ codePath }`), built
    // here from the current source: webpack never runs inside the process whose memory is measured.
    const serviceBundlePath = path.join(opts.outDir, 'service-workflow-bundle.js');
    fs.mkdirSync(opts.outDir, { recursive: true });
    fs.writeFileSync(serviceBundlePath, (await buildWorkflowBundle()).code);
    const [floorWorker, serviceWorker] = await Promise.all([
      BenchChild.start('floor-worker', { kind: 'worker', role: 'floor', ...base, taskQueue: queues.floor }),
      BenchChild.start(
        'service-worker',
        {
          kind: 'worker',
          role: 'service',
          ...base,
          taskQueue: queues.service,
          sandboxUrl: String(edge.info.sandboxUrl),
          workflowBundlePath: serviceBundlePath,
          ...(opts.maxCachedWorkflows ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
        },
        undefined,
        {
          // Launched as production launches a worker (src/worker.ts), unless an experiment says otherwise.
          env: { ...WORKER_PROCESS_ENV, ...opts.workerEnv },
          nodeFlags: opts.workerNodeFlags ?? WORKER_NODE_FLAGS,
        },
      ),
    ]);
    cleanups.push(
      () => floorWorker.child.stop(),
      () => serviceWorker.child.stop(),
    );
    // More service workers on the same queue (a production deployment runs several); not sampled.
    const extraWorkers = Math.max(0, (opts.serviceWorkers ?? (opts.cluster ? 2 : 1)) - 1);
    for (let i = 0; i < extraWorkers; i++) {
      const extra = await BenchChild.start(
        `service-worker-${i + 2}`,
        {
          kind: 'worker',
          role: 'service',
          ...base,
          taskQueue: queues.service,
          sandboxUrl: String(edge.info.sandboxUrl),
          workflowBundlePath: serviceBundlePath,
          ...(opts.maxCachedWorkflows ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
        },
        undefined,
        {
          env: { ...WORKER_PROCESS_ENV, ...opts.workerEnv },
          nodeFlags: opts.workerNodeFlags ?? WORKER_NODE_FLAGS,
        },
      );
      cleanups.push(() => extra.child.stop());
    }
    report.children = { edge: edge.info, ingestEdge: ingestEdge.info, floorWorker: floorWorker.info, serviceWorker: serviceWorker.info };

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const keyring = createKeyring([['bench', Buffer.from(codecKeyHex, 'hex')]], 'bench');
    const ctx: BenchContext = {
      mode: opts.mode,
      sizes,
      server,
      floorClient: new Client({ connection, namespace: server.namespace, identity: `bench-floor-${randomUUID().slice(0, 8)}` }),
      serviceClient: new Client({ connection, namespace: server.namespace, dataConverter: createDataConverter(keyring) }),
      tag,
      webhookSecret: secrets.webhookSecret,
      decisionKeyHex,
      queues,
      apiUrl: String(edge.info.apiUrl),
      ingestApiUrl: String(ingestEdge.info.apiUrl),
      sandboxUrl: String(edge.info.sandboxUrl),
      children: { floorWorker: floorWorker.child, serviceWorker: serviceWorker.child, edge: edge.child, ingestEdge: ingestEdge.child },
      progress,
    };

    // Calibration always runs: the end-to-end floor copies each case's activity count from it.
    const cost = await runCost(ctx);
    report.cost = cost;
    const available = (name: string) => cost.cases.find((c) => c.name === name && c.available);
    if (opts.only.includes('ingest')) report.ingest = await runIngest(ctx);

    if (opts.only.includes('e2e')) {
      const series: { name: string; kind: CallKind; activities: number }[] = [];
      for (const [name, kind, costName] of [
        ['refund (automated)', CallKind.AutoRefund, 'refund_request (automated)'],
        ['invoice resend', CallKind.InvoiceResend, 'invoice_resend'],
      ] as const) {
        const c = available(costName);
        if (c?.cost) series.push({ name, kind, activities: c.cost.activityCalls });
        else report.skipped.push(`end to end ${name}: ${cost.cases.find((x) => x.name === costName)?.reason ?? 'unavailable'}`);
      }
      report.e2e = await runE2E(ctx, series);
    }

    if (opts.only.includes('waiting')) {
      if (available('refund_request (1 Slack approval)')) {
        // Filling and settling get what remains of the 15 minutes after the approvals (8 a second
        // assumed; 9.6-10.8 measured on this machine at concurrency 4 and 8) and a minute for
        // stopping the processes, writing the report and variation between runs.
        const approvalsMs = sizes.approvals * 125;
        const budget = opts.waitingBudgetSeconds
          ? opts.waitingBudgetSeconds * 1000
          : opts.mode === 'full'
            ? Math.max(60_000, FULL_RUN_MS - 60_000 - approvalsMs - (Date.now() - started))
            : 120_000; // quick: ends as soon as every case waits; the margin is for a busy CI machine
        progress(`waiting: ${Math.round(budget / 1000)} s for filling and settling`);
        report.waiting = await runWaiting(ctx, budget);
      } else {
        report.skipped.push(
          `waiting cases: ${cost.cases.find((x) => x.name === 'refund_request (1 Slack approval)')?.reason ?? 'unavailable'}`,
        );
      }
    }
  } finally {
    progress('stopping processes');
    await cleanUp();
  }
  report.targets = checkTargets(report);
  report.durationSeconds = Math.round((Date.now() - started) / 1000);
  const files = writeReport(opts.outDir, report);
  progress(`wrote ${files.json}, ${files.md}, ${files.svg}`);
  for (const t of report.targets)
    log(
      `  ${t.holds === undefined ? '?' : t.holds ? 'ok ' : 'NO '} ${t.name}: ${t.figure}${t.floor !== undefined ? ` vs floor ${t.floor} (ratio ${t.ratio})` : ''}, target ${t.target}`,
    );
  for (const s of report.skipped) log(`  skipped: ${s}`);
  return report;
}

if (require.main === module) {
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  // Ctrl-C: let the finally block stop the children and the dev server it started.
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort(new Error(`interrupted (${sig})`)));
  runBench(opts, undefined, controller.signal).then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`bench failed: ${err.stack ?? err.message}`);
      process.exit(1);
    },
  );
}
