/**
 * Closed-loop load: `concurrency` virtual users each run `op` back to back. Closed loop, not open
 * loop, because the question is "how much does the system sustain", and an open loop past
 * saturation only measures queueing in this process.
 *
 * The machine is shared, so its spare CPU drifts from minute to minute. A floor measured a minute
 * before the service would compare two different machines; `runInterleaved` therefore alternates
 * short slices of each series (A B A B ...) and merges each series' slices.
 */
import { performance } from 'node:perf_hooks';
import { summarize, type LatencySummary } from './stats';

export interface LoadOptions {
  concurrency: number;
  /** Measured window. */
  durationMs: number;
  /**
   * Not measured: connections, caches and the closed loop reach a steady state first. The window
   * opens after this long *and* after every virtual user has completed one operation, so a series
   * whose operations take longer than the warm-up (cases at high concurrency) is not measured
   * while its loop is still filling.
   */
  warmupMs: number;
  /** Called about once a second with the running count. */
  onProgress?: (done: number, errors: number) => void;
  /** Called when the measured window opens and when it closes (CPU metering of just the window). */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

/** One operation; `seq` is unique across the whole run (use it for ids). Resolve = success. */
export type Operation = (seq: number) => Promise<void>;

export class LoadError extends Error {
  override name = 'LoadError';
}

/** Raw outcome of one measured stretch. */
export interface LoadSample {
  latencies: number[];
  errors: number;
  windowMs: number;
  /** Virtual users of the closed loop. */
  concurrency: number;
  firstError?: string;
}

export type LoadResult = LatencySummary & {
  firstError?: string;
  /** Operations completed inside the windows per second of window (the raw count behind `throughput`). */
  completedPerSecond?: number;
};

let globalSeq = 0;

function validate(opts: LoadOptions): void {
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1)
    throw new LoadError(`concurrency must be a positive integer, got ${opts.concurrency}`);
  if (!(opts.durationMs > 0)) throw new LoadError(`durationMs must be positive, got ${opts.durationMs}`);
}

/**
 * Runs one stretch. An operation counts when it *completes* inside the window (after warm-up,
 * before the end). Operations still running at the end are awaited (the next stretch starts
 * clean) but not counted.
 */
export async function sampleClosedLoop(op: Operation, opts: LoadOptions): Promise<LoadSample> {
  validate(opts);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  // Both set once every user has completed its first operation.
  let measureFrom = Infinity;
  let stopAt = Infinity;
  let warmUsers = 0;
  let windowEnded = false;
  const timers: NodeJS.Timeout[] = [];
  const endWindow = () => {
    if (windowEnded) return;
    windowEnded = true;
    opts.onWindowEnd?.();
  };
  const openWindow = (now: number) => {
    measureFrom = Math.max(t0 + opts.warmupMs, now);
    stopAt = measureFrom + opts.durationMs;
    timers.push(
      setTimeout(() => opts.onWindowStart?.(), measureFrom - now),
      setTimeout(endWindow, stopAt - now),
    );
  };
  const timer = opts.onProgress ? setInterval(() => opts.onProgress?.(latencies.length, errors), 1000) : undefined;
  const user = async () => {
    let first = true;
    while (performance.now() < stopAt) {
      const start = performance.now();
      let failure: unknown;
      try {
        await op(globalSeq++);
      } catch (err) {
        failure = err ?? new Error('operation failed');
      }
      const end = performance.now();
      if (first) {
        first = false;
        if (++warmUsers === opts.concurrency) openWindow(end);
      } else if (end >= measureFrom && end <= stopAt) {
        if (failure === undefined) latencies.push(end - start);
        else errors++;
      }
      if (failure !== undefined) {
        firstError ??= (failure as Error).message;
        // Back off briefly so a failing system is not hammered in a tight loop.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, user));
  for (const t of timers) clearTimeout(t);
  endWindow();
  if (timer) clearInterval(timer);
  return { latencies, errors, windowMs: opts.durationMs, concurrency: opts.concurrency, ...(firstError ? { firstError } : {}) };
}

/**
 * Merges slices of one series. `throughput` is the closed loop's rate by the response-time law
 * (users / mean time per operation, times the share that succeeded), from the operations that
 * completed inside the windows; `completedPerSecond` is their plain count per second of window.
 * The two agree when an operation is short against the window (ingest). When it is not (cases at
 * concurrency 32 take ~3 s, a window slice is 4 s), the users finish in step, the count moves by a
 * whole round of completions depending on where the window falls, and the law does not.
 */
export function mergeSamples(samples: LoadSample[]): LoadResult {
  const latencies = samples.flatMap((s) => s.latencies);
  const errors = samples.reduce((a, s) => a + s.errors, 0);
  const windowMs = samples.reduce((a, s) => a + s.windowMs, 0);
  const firstError = samples.find((s) => s.firstError)?.firstError;
  const summary = summarize(latencies, errors, windowMs);
  const concurrency = samples[0]?.concurrency;
  const meanMs = latencies.reduce((a, b) => a + b, 0) / (latencies.length || 1);
  const byLaw =
    concurrency && latencies.length > 0
      ? Math.round(((concurrency * 1000) / meanMs) * (latencies.length / (latencies.length + errors)) * 10) / 10
      : summary.throughput;
  return { ...summary, throughput: byLaw, completedPerSecond: summary.throughput, ...(firstError ? { firstError } : {}) };
}

export async function runClosedLoop(op: Operation, opts: LoadOptions): Promise<LoadResult> {
  return mergeSamples([await sampleClosedLoop(op, opts)]);
}

/**
 * Alternates the series in `rounds` rounds (each slice gets durationMs / rounds of measurement and
 * its own warm-up) and returns one merged result per series, in order. `around` wraps each slice
 * (CPU metering, progress).
 */
export async function runInterleaved<K extends string>(
  series: { key: K; op: Operation }[],
  opts: LoadOptions & { rounds: number },
  around?: (
    key: K,
    round: number,
    run: (window?: Pick<LoadOptions, 'onWindowStart' | 'onWindowEnd'>) => Promise<LoadSample>,
  ) => Promise<LoadSample>,
): Promise<Record<K, LoadResult>> {
  validate(opts);
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new LoadError(`rounds must be a positive integer, got ${opts.rounds}`);
  const samples = new Map<K, LoadSample[]>(series.map((s) => [s.key, []]));
  const slice = { ...opts, durationMs: opts.durationMs / opts.rounds };
  for (let r = 0; r < opts.rounds; r++) {
    for (const s of series) {
      const run = (window?: Pick<LoadOptions, 'onWindowStart' | 'onWindowEnd'>) => sampleClosedLoop(s.op, { ...slice, ...window });
      samples.get(s.key)?.push(around ? await around(s.key, r, run) : await run());
    }
  }
  return Object.fromEntries(series.map((s) => [s.key, mergeSamples(samples.get(s.key) ?? [])])) as Record<K, LoadResult>;
}

/** Runs `count` operations with at most `concurrency` in flight; returns per-op latencies. */
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
