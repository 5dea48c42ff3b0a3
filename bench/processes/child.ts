/**
 * Entry point of every benchmark child process. The driver sends one `init` message saying what
 * to run: a worker (the floor's trivial workflows, or the service's own worker with its real
 * activities against the sandbox) or the edge (the service's HTTP API plus the sandbox).
 */
import type { ChildInit, FromChild, ToChild } from '../lib/ipc';
import { procStats } from '../lib/ipc';
import { startEdge } from './edge';
import { startWorker } from './worker';

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
    send({ type: 'stats', id: m.id, stats: procStats() });
  } else if (m.type === 'stop') {
    void (stop?.() ?? Promise.resolve()).finally(() => process.exit(0));
  }
});
// The driver died: do not linger.
process.on('disconnect', () => process.exit(0));
