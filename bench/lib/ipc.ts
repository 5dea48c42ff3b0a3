/**
 * The benchmark's child processes (workers, API + sandbox) and the messages they exchange with
 * the driver. Children run apart so each one's RSS, heap and CPU can be attributed, as they would
 * be in production, and so the load generator does not share an event loop with what it measures.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** Process resource figures reported by a child. */
export interface ProcStats {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** CPU time (user + system) since the process started, in ms. */
  cpuMs: number;
  /** Memory of C++ objects bound to JS, and of ArrayBuffers/Buffers (process.memoryUsage()). */
  externalBytes?: number;
  arrayBuffersBytes?: number;
  /**
   * Service worker only: the workflow thread's V8 heap (workflows run in a worker thread with
   * its own isolate, which process.memoryUsage().heapUsed of the main thread does not include).
   */
  workflowThread?: { heapUsedBytes: number; heapCommittedBytes: number; externalBytes: number };
}

export type WorkerRole = 'floor' | 'service';

export interface WorkerInit {
  kind: 'worker';
  role: WorkerRole;
  address: string;
  namespace: string;
  taskQueue: string;
  /** Codec key (hex) of the service's payload encryption; the floor runs without a codec. */
  codecKeyHex: string;
  /** Decision signing key (hex) shared by the edge (signs) and the service worker (verifies). */
  decisionKeyHex: string;
  /** Service role: where the sandbox answers. */
  sandboxUrl?: string;
  /** Service role: the workflow bundle file, loaded by path as production loads dist/workflow-bundle.js. */
  workflowBundlePath?: string;
  /** Service role: overrides the shipped sticky-cache size (experiments only). */
  maxCachedWorkflows?: number;
}

export interface EdgeInit {
  kind: 'edge';
  address: string;
  namespace: string;
  taskQueue: string;
  codecKeyHex: string;
  decisionKeyHex: string;
  webhookSecret: string;
  slackSigningSecret: string;
  apiToken: string;
}

export type ChildInit = WorkerInit | EdgeInit;

export type ToChild = { type: 'init'; init: ChildInit } | { type: 'stats'; id: number } | { type: 'stop' };
export type FromChild =
  | { type: 'ready'; info: Record<string, string | number> }
  | { type: 'stats'; id: number; stats: ProcStats }
  | { type: 'error'; message: string };

export function procStats(): ProcStats {
  const m = process.memoryUsage();
  const c = process.cpuUsage();
  return {
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    cpuMs: Math.round((c.user + c.system) / 1000),
    externalBytes: m.external,
    arrayBuffersBytes: m.arrayBuffers,
  };
}

/** A running child with request/response over IPC. */
export class BenchChild {
  private seq = 0;
  private readonly waiting = new Map<number, (s: ProcStats) => void>();
  private exited = false;
  readonly exit: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    this.exit = new Promise((resolve) => proc.once('exit', (code) => ((this.exited = true), resolve(code))));
    proc.on('message', (m: FromChild) => {
      if (m.type === 'stats') this.waiting.get(m.id)?.(m.stats);
    });
  }

  /** Forks a child (TypeScript through tsx) and waits for it to report ready. */
  /**
   * `launch`: environment and node flags of the child, read at process start (the service worker
   * gets the production worker's: WORKER_PROCESS_ENV, WORKER_NODE_FLAGS).
   */
  static async start(
    name: string,
    init: ChildInit,
    timeoutMs = 180_000,
    launch: { env?: Record<string, string>; nodeFlags?: readonly string[] } = {},
  ): Promise<{ child: BenchChild; info: Record<string, string | number> }> {
    const proc = fork(path.join(__dirname, '..', 'processes', 'child.ts'), [name], {
      env: { ...process.env, ...launch.env },
      // BENCH_CPU_PROF_DIR=dir writes a V8 CPU profile per child (node --cpu-prof) for profiling runs.
      execArgv: [
        '--require',
        'tsx/cjs',
        ...(launch.nodeFlags ?? []),
        ...(process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const child = new BenchChild(name, proc);
    const info = await new Promise<Record<string, string | number>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not become ready within ${timeoutMs} ms`)), timeoutMs);
      proc.on('message', (m: FromChild) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve(m.info);
        } else if (m.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`${name}: ${m.message}`));
        }
      });
      proc.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${name} exited during start-up (code ${code})`))));
      proc.send({ type: 'init', init } satisfies ToChild);
    });
    return { child, info };
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  async stats(): Promise<ProcStats> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not report stats`)), 10_000);
      this.waiting.set(id, (s) => (clearTimeout(timer), this.waiting.delete(id), resolve(s)));
      this.proc.send({ type: 'stats', id } satisfies ToChild);
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.proc.send({ type: 'stop' } satisfies ToChild);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
    await this.exit;
    clearTimeout(timer);
  }
}
