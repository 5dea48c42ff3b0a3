/**
 * Where the time of one no-op activity goes at concurrency 1 (BENCHMARKS.md, "Per activity at
 * concurrency 1"): runs the floor workflow (`benchActivities`, N sequential no-ops) one case at a
 * time on a dev server (file-backed, as the bench) or on the project cluster, then splits every
 * activity's cycle using the server's own event timestamps:
 *
 *   WorkflowTaskCompleted -> ActivityTaskStarted     server: persist the completion, hand the activity out (eager)
 *   ActivityTaskStarted   -> ActivityTaskCompleted   worker runs the no-op and reports it (RPC)
 *   ActivityTaskCompleted -> WorkflowTaskStarted     server: persist, schedule a workflow task, match it to the poller
 *   WorkflowTaskStarted   -> WorkflowTaskCompleted   worker: activation, commands, the completion RPC
 *
 *   npx tsx bench/activity-latency.ts [--cluster] [--cases 20] [--activities 8]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, DefaultLogger } from '@temporalio/worker';
import { startBenchServer, DEFAULT_PRAGMAS } from './lib/server';
import { percentile } from './lib/stats';

const EventType = temporal.api.enums.v1.EventType;

const { values } = parseArgs({
  options: {
    cluster: { type: 'boolean', default: false },
    cases: { type: 'string', default: '20' },
    activities: { type: 'string', default: '8' },
  },
});

const ms = (t: temporal.api.history.v1.IHistoryEvent) =>
  Number(t.eventTime?.seconds ?? 0) * 1000 + Math.round((t.eventTime?.nanos ?? 0) / 1e6);

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'activity-latency-'));
  fs.chmodSync(dir, 0o755); // the cluster's PostgreSQL runs as the postgres user
  const server = await startBenchServer({ cluster: values.cluster, dir, pragmas: DEFAULT_PRAGMAS });
  try {
    const taskQueue = `latency-${Date.now()}`;
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./workflows'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    const nc = await NativeConnection.connect({ address: server.address });
    const worker = await Worker.create({
      connection: nc,
      namespace: server.namespace,
      taskQueue,
      workflowBundle: bundle,
      activities: { noop: async (n: number) => n },
    });
    const running = worker.run();
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace });
    const n = Number(values.activities);
    const phases: Record<string, number[]> = {
      'server: WT completed -> activity started': [],
      'worker: activity started -> completed': [],
      'server: activity completed -> WT started': [],
      'worker: WT started -> completed': [],
      'whole cycle per activity': [],
    };
    const totals: number[] = [];
    for (let i = 0; i < Number(values.cases) + 2; i++) {
      const started = Date.now();
      const handle = await client.workflow.start('benchActivities', { taskQueue, workflowId: `latency-${taskQueue}-${i}`, args: [n] });
      await handle.result();
      if (i < 2) continue; // warm-up: caches, connections, JIT
      totals.push(Date.now() - started);
      const events = (await handle.fetchHistory()).events ?? [];
      const at = (type: temporal.api.enums.v1.EventType, from: number) => events.findIndex((e, k) => k >= from && e.eventType === type);
      let k = 0;
      for (let a = 0; a < n; a++) {
        const wtDone = at(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, k);
        const actStarted = at(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, wtDone);
        const actDone = at(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, actStarted);
        const wtStarted = at(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, actDone);
        const wtDone2 = at(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, wtStarted);
        const [e1, e2, e3, e4, e5] = [wtDone, actStarted, actDone, wtStarted, wtDone2].map((x) => events[x]);
        if (!e1 || !e2 || !e3 || !e4 || !e5) throw new Error(`unexpected history shape in case ${i}, activity ${a}`);
        phases['server: WT completed -> activity started']?.push(ms(e2) - ms(e1));
        phases['worker: activity started -> completed']?.push(ms(e3) - ms(e2));
        phases['server: activity completed -> WT started']?.push(ms(e4) - ms(e3));
        phases['worker: WT started -> completed']?.push(ms(e5) - ms(e4));
        phases['whole cycle per activity']?.push(ms(e5) - ms(e1));
        k = wtDone2;
      }
    }
    const fmt = (xs: number[]) =>
      `p50 ${percentile(
        [...xs].sort((x, y) => x - y),
        50,
      ).toFixed(1)} ms, mean ${(xs.reduce((s, x) => s + x, 0) / xs.length).toFixed(1)} ms`;
    console.log(
      `${values.cluster ? 'cluster (PostgreSQL, 4 shards)' : 'dev server (SQLite file, WAL)'}: ${totals.length} cases x ${n} no-op activities at concurrency 1; case p50 ${percentile(
        [...totals].sort((x, y) => x - y),
        50,
      )} ms`,
    );
    for (const [name, xs] of Object.entries(phases)) console.log(`  ${name.padEnd(44)} ${fmt(xs)}`);
    worker.shutdown();
    await running;
    await nc.close();
    await connection.close();
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
