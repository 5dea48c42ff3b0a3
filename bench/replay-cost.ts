/**
 * What replaying one waiting refund costs the worker (BENCHMARKS.md, "Stop 28"): the part of a
 * decision on a case the worker no longer caches that is the SDK replaying the case's history
 * before the decision's own work. Replays the recorded history of an approved card refund
 * (test/replay/histories/refund_request.card-refund.json), cut where the case waits for its
 * approval, N times with the service's workflow bundle, in this process (the SDK's replay worker
 * runs workflows on its own thread pool only for live workers), and prints the time per replay.
 * No server: the replay needs none. To compare stack depths, change WORKFLOW_STACK_FRAMES
 * (src/workflows/stack-depth.ts) and run it again.
 *
 *   npx tsx bench/replay-cost.ts [--replays 400] [--rounds 3]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { buildWorkflowBundle } from '../src/temporal/bundle';

const HISTORY = path.join(__dirname, '..', 'test', 'replay', 'histories', 'refund_request.card-refund.json');

interface HistoryJson {
  events: { eventType: string }[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { replays: { type: 'string', default: '400' }, rounds: { type: 'string', default: '3' } } });
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const json = JSON.parse(fs.readFileSync(HISTORY, 'utf8')) as HistoryJson;
  // Up to the timer the approval wait starts: what a waiting case's history holds.
  const waitAt = json.events.findIndex((e) => e.eventType === 'EVENT_TYPE_TIMER_STARTED');
  if (waitAt < 0) throw new Error(`${HISTORY}: no approval wait (TIMER_STARTED) found`);
  json.events = json.events.slice(0, waitAt + 1);
  const protoDir = path.dirname(require.resolve('@temporalio/proto/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fromJson } = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as {
    fromJson: (type: unknown, json: unknown, opts: object) => unknown;
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const root = require('@temporalio/proto') as { lookupType(name: string): unknown };
  const history = fromJson(root.lookupType('temporal.api.history.v1.History'), json, {}) as Parameters<typeof Worker.runReplayHistory>[1];
  const workflowBundle = await buildWorkflowBundle();
  const n = Number(values.replays);
  console.log(`replaying ${json.events.length} events (a refund waiting for its approval) ${n} times per round`);
  for (let round = 0; round < Number(values.rounds); round++) {
    const histories = Array.from({ length: n }, (_, i) => ({ workflowId: `replay-cost-${round}-${i}`, history }));
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    let failed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle, replayName: `replay-cost-${round}` }, histories))
      if (r.error) failed++;
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    if (failed) throw new Error(`${failed} replays failed`);
    // CPU time as well as wall time: on a shared machine the wall time moves with its neighbours.
    console.log(
      `round ${round + 1}: ${(ms / n).toFixed(2)} ms per replay, ${((cpu.user + cpu.system) / 1000 / n).toFixed(2)} ms CPU (${n} in ${ms.toFixed(0)} ms)`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
