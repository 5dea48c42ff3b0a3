/**
 * The Temporal server the benchmark runs against: a file-backed dev server started here (SQLite
 * file under bench/results/, pragmas named on the command line so the report can say which), or
 * an existing server given by address (then DB size is not measured).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli } from '../../src/temporal/cli';
import { freePort, prepareNamespace } from '../../src/temporal/dev-server';

/**
 * SQLite pragmas passed with `--sqlite-pragma`. WAL lets readers (visibility, history reads) run
 * beside the single writer; synchronous=NORMAL is WAL's usual durability level (fsync at
 * checkpoint, not at every commit). The dev server accepts only journal_mode and synchronous.
 */
export const DEFAULT_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

export interface BenchServer {
  address: string;
  namespace: string;
  /** Started here (true) or reused. */
  owned: boolean;
  dbFile?: string;
  pragmas: string[];
  /** Server process id, for CPU/RSS sampling; undefined when reused. */
  pid?: number;
  /** SQLite file plus its -wal and -shm files, in bytes; undefined when reused. */
  dbBytes(): number | undefined;
  stop(): Promise<void>;
}

export class BenchServerError extends Error {
  override name = 'BenchServerError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startBenchServer(opts: { reuseAddress?: string; dir: string; pragmas: string[]; namespace?: string }): Promise<BenchServer> {
  const namespace = opts.namespace ?? 'default';
  for (const p of opts.pragmas) {
    if (!/^(journal_mode|synchronous)=[a-z]+$/i.test(p)) throw new BenchServerError(`unsupported SQLite pragma "${p}": the dev server accepts journal_mode=<mode> and synchronous=<level>`);
  }
  if (opts.reuseAddress) {
    const conn = await Connection.connect({ address: opts.reuseAddress });
    try {
      await prepareNamespace(conn, namespace, 1);
    } finally {
      await conn.close();
    }
    return { address: opts.reuseAddress, namespace, owned: false, pragmas: [], dbBytes: () => undefined, stop: async () => undefined };
  }

  const cliPath = ensureTemporalCli({ pathVar: process.env.PATH });
  fs.mkdirSync(opts.dir, { recursive: true });
  const dbFile = path.join(opts.dir, 'bench-temporal.sqlite');
  // A fresh file per run: figures must not depend on what an earlier run left behind.
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(dbFile + suffix, { force: true });
  const port = await freePort();
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace, '--db-filename', dbFile, '--log-level', 'error'];
  for (const p of opts.pragmas) args.push('--sqlite-pragma', p);
  const log = fs.openSync(path.join(opts.dir, 'bench-temporal.log'), 'w');
  const child: ChildProcess = spawn(cliPath, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(t);
  };
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new BenchServerError(`Temporal dev server exited during start-up; see ${path.join(opts.dir, 'bench-temporal.log')}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await prepareNamespace(conn, namespace, 1);
      } finally {
        await conn.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new BenchServerError(`Temporal dev server did not answer at ${address}: ${(err as Error).message}`);
      }
      await sleep(250);
    }
  }
  const dbBytes = () => ['', '-wal', '-shm'].reduce((sum, s) => sum + (fs.existsSync(dbFile + s) ? fs.statSync(dbFile + s).size : 0), 0);
  return { address, namespace, owned: true, dbFile, pragmas: opts.pragmas, pid: child.pid, dbBytes, stop };
}
