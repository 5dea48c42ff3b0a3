/** What every scenario gets: the server, clients, the running children, sizes, and progress output. */
import type { Client } from '@temporalio/client';
import type { BenchServer } from './server';
import type { BenchChild } from './ipc';
import { readProc } from './procfs';

/** Sizes of one run; `quick` for CI, `full` for the figures in BENCHMARKS.md. */
export interface BenchSizes {
  ingestLevels: number[];
  e2eLevels: number[];
  /** Measured window and warm-up per level, ms. */
  windowMs: number;
  warmupMs: number;
  waitingCases: number;
  approvals: number;
  /** Webhook concurrency while filling the waiting cases. */
  fillConcurrency: number;
  approvalConcurrency: number;
}

export const SIZES: Record<'quick' | 'full', BenchSizes> = {
  quick: { ingestLevels: [1, 4], e2eLevels: [2], windowMs: 1500, warmupMs: 300, waitingCases: 50, approvals: 20, fillConcurrency: 8, approvalConcurrency: 4 },
  full: { ingestLevels: [1, 4, 16, 64], e2eLevels: [1, 8, 32], windowMs: 6000, warmupMs: 1000, waitingCases: 10_000, approvals: 1000, fillConcurrency: 32, approvalConcurrency: 8 },
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
