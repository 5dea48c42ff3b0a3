/** What every scenario gets: the server, clients, the running children, sizes, and progress output. */
import type { Client } from '@temporalio/client';
import type { BenchServer } from './server';
import type { BenchChild } from './ipc';
import type { LoadSample } from './load';
import { readProc } from './procfs';

/** Sizes of one run; `quick` for CI, `full` for the figures in BENCHMARKS.md. */
export interface BenchSizes {
  ingestLevels: number[];
  e2eLevels: number[];
  /** Measured window per series and level (split over `rounds` interleaved slices) and warm-up per slice, ms. */
  windowMs: number;
  warmupMs: number;
  rounds: number;
  /** End to end: cases take seconds, so longer windows and warm-ups. */
  e2eWindowMs: number;
  e2eWarmupMs: number;
  waitingCases: number;
  approvals: number;
  /** Client start concurrency while filling the waiting cases. */
  fillConcurrency: number;
  approvalConcurrency: number;
}

export const SIZES: Record<'quick' | 'full', BenchSizes> = {
  quick: {
    ingestLevels: [1, 4],
    e2eLevels: [2],
    windowMs: 1500,
    warmupMs: 300,
    rounds: 1,
    e2eWindowMs: 3000,
    e2eWarmupMs: 1000,
    waitingCases: 50,
    approvals: 20,
    fillConcurrency: 8,
    approvalConcurrency: 4,
  },
  full: {
    ingestLevels: [1, 4, 16, 64],
    e2eLevels: [1, 8, 32],
    windowMs: 4000,
    warmupMs: 750,
    rounds: 2,
    e2eWindowMs: 8000,
    e2eWarmupMs: 2000,
    waitingCases: 10_000,
    approvals: 1000,
    fillConcurrency: 64,
    approvalConcurrency: 4,
  },
};

export interface BenchContext {
  mode: 'quick' | 'full';
  sizes: BenchSizes;
  server: BenchServer;
  /** Bare client (default data converter): the floor. */
  floorClient: Client;
  /** The service's client (encrypted payloads), for results, queries and decisions. */
  serviceClient: Client;
  /** Unique per run: call ids and workflow ids carry it. */
  tag: string;
  webhookSecret: string;
  /** The decision signing key the edge and the service worker share (hex): approvals are signed as the Slack route signs them. */
  decisionKeyHex: string;
  queues: { floor: string; floorUnpolled: string; service: string; serviceUnpolled: string };
  /** API in front of the service task queue (cases run) and in front of an unpolled one (ingest only). */
  apiUrl: string;
  ingestApiUrl: string;
  sandboxUrl: string;
  children: { floorWorker: BenchChild; serviceWorker: BenchChild; edge: BenchChild; ingestEdge: BenchChild };
  progress(line: string): void;
}

/** CPU used per process over a stretch of the run: shows which process bounds throughput. */
export interface CpuShare {
  wallMs: number;
  /** Cores used on average, per process. */
  cores: Record<string, number>;
}

export function cpuMeter(ctx: BenchContext): () => CpuShare {
  const pids: Record<string, number | undefined> = {
    temporalServer: ctx.server.pid,
    serviceWorker: ctx.children.serviceWorker.pid,
    floorWorker: ctx.children.floorWorker.pid,
    api: ctx.children.edge.pid,
    ingestApi: ctx.children.ingestEdge.pid,
    loadGenerator: process.pid,
  };
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, pid ? readProc(pid)?.cpuMs : undefined]));
  const t0 = Date.now();
  return () => {
    const wallMs = Date.now() - t0;
    const cores: Record<string, number> = {};
    for (const [k, pid] of Object.entries(pids)) {
      const now = pid ? readProc(pid)?.cpuMs : undefined;
      const before = start[k];
      if (now !== undefined && before !== undefined) cores[k] = Math.round(((now - before) / Math.max(1, wallMs)) * 100) / 100;
    }
    return { wallMs, cores };
  };
}

/** Time-weighted CPU share over several slices (interleaved measurements). */
export function combineCpu(shares: CpuShare[]): CpuShare {
  const wallMs = shares.reduce((a, s) => a + s.wallMs, 0);
  const keys = new Set(shares.flatMap((s) => Object.keys(s.cores)));
  const cores: Record<string, number> = {};
  for (const k of keys)
    cores[k] = Math.round((shares.reduce((a, s) => a + (s.cores[k] ?? 0) * s.wallMs, 0) / Math.max(1, wallMs)) * 100) / 100;
  return { wallMs, cores };
}

/** Meters CPU around each interleaved slice and reports progress; read the per-series totals after. */
export function sliceMeter<K extends string>(ctx: BenchContext, label: string) {
  const shares = new Map<K, CpuShare[]>();
  return {
    around: async (
      key: K,
      round: number,
      run: (window: { onWindowStart: () => void; onWindowEnd: () => void }) => Promise<LoadSample>,
    ): Promise<LoadSample> => {
      // CPU over the measured window only: warm-up and the drain after it are not in the count.
      let meter: (() => CpuShare) | undefined;
      let share: CpuShare | undefined;
      const sample = await run({
        onWindowStart: () => {
          meter = cpuMeter(ctx);
        },
        onWindowEnd: () => {
          share = meter?.();
        },
      });
      const list = shares.get(key) ?? [];
      if (share) list.push(share);
      shares.set(key, list);
      ctx.progress(
        `  ${label} ${key} slice ${round + 1}: ${sample.latencies.length} done${sample.errors ? `, ${sample.errors} errors` : ''}`,
      );
      return sample;
    },
    cpu: (key: K): CpuShare => combineCpu(shares.get(key) ?? []),
  };
}
