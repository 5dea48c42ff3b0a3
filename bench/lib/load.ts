/**
 * Closed-loop load: `concurrency` virtual users each run `op` back to back until the measured
 * window ends. A short warm-up (not measured) fills connections and caches first. Closed loop,
 * not open loop, because the question is "how much does the system sustain", and an open loop
 * past saturation only measures queueing in this process.
 */
import { performance } from 'node:perf_hooks';
import { summarize, type LatencySummary } from './stats';

export interface LoadOptions {
  concurrency: number;
  /** Measured window. */
  durationMs: number;
  warmupMs: number;
  /** Stop after this many measured operations even if time remains (keeps big runs bounded). */
  maxOps?: number;
  /** Called about once a second with the running count. */
  onProgress?: (done: number, errors: number) => void;
}

/** One operation; `seq` is unique across the whole run (use it for ids). Resolve = success. */
export type Operation = (seq: number) => Promise<void>;

export class LoadError extends Error {
  override name = 'LoadError';
}

export async function runClosedLoop(op: Operation, opts: LoadOptions): Promise<LatencySummary & { firstError?: string }> {
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new LoadError(`concurrency must be a positive integer, got ${opts.concurrency}`);
  if (!(opts.durationMs > 0)) throw new LoadError(`durationMs must be positive, got ${opts.durationMs}`);
  let seq = 0;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const measureFrom = t0 + opts.warmupMs;
  const stopAt = measureFrom + opts.durationMs;
  let lastEnd = measureFrom;
  const timer = opts.onProgress ? setInterval(() => opts.onProgress?.(latencies.length, errors), 1000) : undefined;
  const user = async () => {
    for (;;) {
      const start = performance.now();
      if (start >= stopAt || (opts.maxOps !== undefined && latencies.length >= opts.maxOps)) return;
      try {
        await op(seq++);
        const end = performance.now();
        // Count an operation if it started inside the window (warm-up ones are dropped).
        if (start >= measureFrom) {
          latencies.push(end - start);
          lastEnd = Math.max(lastEnd, end);
        }
      } catch (err) {
        if (start >= measureFrom) errors++;
        firstError ??= (err as Error).message;
        // Back off briefly so a failing system is not hammered in a tight loop.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, user));
  if (timer) clearInterval(timer);
  // The window ends when the last counted operation finished (in-flight ones finish after stopAt).
  const windowMs = Math.max(1, lastEnd - measureFrom);
  return { ...summarize(latencies, errors, windowMs), ...(firstError ? { firstError } : {}) };
}

/** Runs `ops` operations with at most `concurrency` in flight; returns per-op latencies. */
export async function runBatch(
  count: number,
  concurrency: number,
  op: Operation,
  onProgress?: (done: number) => void,
  /** Checked before each operation: true = stop starting new ones. */
  stop?: () => boolean,
): Promise<{ latencies: number[]; errors: string[]; wallMs: number }> {
  const latencies: number[] = [];
  const errors: string[] = [];
  let next = 0;
  const t0 = performance.now();
  const timer = onProgress ? setInterval(() => onProgress(latencies.length + errors.length), 1000) : undefined;
  const user = async () => {
    while (next < count && !stop?.()) {
      const i = next++;
      const start = performance.now();
      try {
        await op(i);
        latencies.push(performance.now() - start);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, user));
  if (timer) clearInterval(timer);
  return { latencies, errors, wallMs: performance.now() - t0 };
}
