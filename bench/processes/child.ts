/**
 * Entry point of every benchmark child process. The driver sends one `init` message saying what
 * to run: a worker (the floor's trivial workflows, or the service's own worker with its real
 * activities against the sandbox) or the edge (the service's HTTP API plus the sandbox).
 */
import type { ChildInit, FromChild, ToChild } from '../lib/ipc';
import { procStats } from '../lib/ipc';
import { startEdge } from './edge';
import { startWorker } from './worker';
import { workflowThreadHeap, writeMainHeapSnapshot } from './workflow-thread-probe';

const send = (m: FromChild) => process.send?.(m);
let stop: (() => Promise<void>) | undefined;

async function init(cfg: ChildInit): Promise<void> {
  const running = cfg.kind === 'worker' ? await startWorker(cfg) : await startEdge(cfg);
  stop = running.stop;
  send({ type: 'ready', info: running.info });
}

process.on('message', (m: ToChild) => {
  if (m.type === 'init') {
    init(m.init).catch((err: Error) => {
      send({ type: 'error', message: err.stack ?? err.message });
      process.exit(1);
    });
  } else if (m.type === 'stats') {
    const stats = procStats();
    void workflowThreadHeap()
      .catch(() => undefined)
      .then((workflowThread) => send({ type: 'stats', id: m.id, stats: workflowThread ? { ...stats, workflowThread } : stats }));
  } else if (m.type === 'stop') {
    void (stop?.() ?? Promise.resolve()).finally(() => process.exit(0));
  }
});
// Measurement: `kill -USR2 <pid>` writes a heap snapshot of the main thread to BENCH_HEAP_SNAPSHOT_DIR.
if (process.env.BENCH_HEAP_SNAPSHOT_DIR) {
  const dir = process.env.BENCH_HEAP_SNAPSHOT_DIR;
  let n = 0;
  process.on('SIGUSR2', () => console.error(`heap snapshot: ${writeMainHeapSnapshot(dir, `snap${++n}`)}`));
}
// The driver died: do not linger.
process.on('disconnect', () => process.exit(0));
