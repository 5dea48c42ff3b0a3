/**
 * Measurement only: the SDK runs workflows in a worker thread (its own V8 isolate), whose heap
 * the main thread's process.memoryUsage() does not count. This wraps the thread the SDK starts so
 * the bench can ask it for its heap figures (a MessagePort beside the SDK's own parentPort). The
 * SDK's thread script runs unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import workerThreads, { MessageChannel, type MessagePort, type WorkerOptions } from 'node:worker_threads';

export interface ThreadHeap {
  heapUsedBytes: number;
  heapCommittedBytes: number;
  externalBytes: number;
}

const WRAPPER = `
const { workerData } = require('node:worker_threads');
const v8 = require('node:v8');
const port = workerData.benchProbePort;
port.on('message', (id) => {
  const h = v8.getHeapStatistics();
  const m = process.memoryUsage();
  port.postMessage({ id, heapUsedBytes: h.used_heap_size, heapCommittedBytes: h.total_physical_size, externalBytes: m.external });
});
port.unref();
require(workerData.benchProbeTarget);
`;

const probes: { worker: workerThreads.Worker; port: MessagePort }[] = [];
let seq = 0;

/** Call before Worker.create: threads started afterwards (the SDK's workflow threads) are probed. */
export function installWorkflowThreadProbe(): void {
  const Original = workerThreads.Worker;
  class Probed extends Original {
    constructor(filename: string | URL, options?: WorkerOptions) {
      const { port1, port2 } = new MessageChannel();
      super(WRAPPER, {
        ...options,
        eval: true,
        workerData: { benchProbePort: port2, benchProbeTarget: String(filename) },
        transferList: [port2],
      });
      port1.unref();
      probes.push({ worker: this, port: port1 });
    }
  }
  // The SDK reads `require('node:worker_threads').Worker` when it starts its thread pool.
  (workerThreads as { Worker: typeof Original }).Worker = Probed;
}

/** Sum of the probed threads' heaps (undefined before any thread started). */
export async function workflowThreadHeap(): Promise<ThreadHeap | undefined> {
  if (probes.length === 0) return undefined;
  const all = await Promise.all(
    probes.map(
      ({ port }) =>
        new Promise<ThreadHeap>((resolve, reject) => {
          const id = ++seq;
          const timer = setTimeout(() => (port.off('message', onMessage), reject(new Error('workflow thread did not answer'))), 5000);
          const onMessage = (m: ThreadHeap & { id: number }) => {
            if (m.id !== id) return;
            clearTimeout(timer);
            port.off('message', onMessage);
            resolve(m);
          };
          port.on('message', onMessage);
          port.postMessage(id);
        }),
    ),
  );
  return all.reduce((a, h) => ({
    heapUsedBytes: a.heapUsedBytes + h.heapUsedBytes,
    heapCommittedBytes: a.heapCommittedBytes + h.heapCommittedBytes,
    externalBytes: a.externalBytes + h.externalBytes,
  }));
}

/**
 * Heap snapshot of the main thread into `dir`. Not of the workflow thread: a
 * `worker.getHeapSnapshot()` of it wrote the file, then the thread stopped running workflows.
 */
export function writeMainHeapSnapshot(dir: string, label: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return v8.writeHeapSnapshot(path.join(dir, `${label}-main-${process.pid}.heapsnapshot`));
}
