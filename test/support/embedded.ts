/**
 * The service as `npm start` runs it: `node dist/src/main.js` (after `buildOnce()`), with its dev
 * server on a SQLite file, the sandbox, the worker and the API, on free ports and a temporary
 * DATA_DIR. Shared by the tests that hold the README's promises to it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalCli, PROJECT_ROOT } from '../../src/temporal/cli';
import { freePort } from '../../src/temporal/dev-server';

export interface Running {
  proc: ChildProcess;
  output: () => string;
}

export interface Embedded {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  api: string;
  ui: string;
  sandbox: string;
  start(): Promise<Running>;
  stop(r: Running): Promise<void>;
  /** The local API token the service wrote under DATA_DIR. */
  token(): string;
  /** Processes whose command line mentions the temporary DATA_DIR (unique to this instance). */
  processes(): string[];
  /** Kills whatever is left and removes DATA_DIR. */
  cleanUp(): void;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export async function embedded(prefix: string): Promise<Embedded> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  const [http, temporal, uiPort, sandboxPort, metrics] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const api = `http://127.0.0.1:${http}`;
  const ui = `http://127.0.0.1:${uiPort}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    HTTP_PORT: String(http),
    PUBLIC_BASE_URL: api,
    TEMPORAL_DEV_PORT: String(temporal),
    TEMPORAL_DEV_UI_PORT: String(uiPort),
    TEMPORAL_UI_URL: ui,
    SANDBOX_PORT: String(sandboxPort),
    TEMPORAL_METRICS_BIND_ADDRESS: `127.0.0.1:${metrics}`,
    TEMPORAL_CLI_PATH: ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVar: process.env.PATH }),
  };
  const processes = () =>
    spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l.includes(dataDir) && !l.includes('ps -eo'));

  return {
    dataDir,
    env,
    api,
    ui,
    sandbox: `http://127.0.0.1:${sandboxPort}`,
    processes,
    token: () => fs.readFileSync(path.join(dataDir, 'secrets', 'api-token'), 'utf8').trim(),
    async start() {
      const proc = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
        cwd: PROJECT_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(
        'the start-up banner',
        async () => (out.includes('Press Ctrl-C') ? true : proc.exitCode !== null ? Promise.reject(new Error(out)) : undefined),
        120_000,
      ).catch((err: Error) => {
        proc.kill('SIGKILL');
        throw new Error(`npm start did not come up: ${err.message}\n${out}`);
      });
      return { proc, output: () => out };
    },
    async stop(r) {
      const exited = new Promise<number | null>((resolve) => r.proc.once('exit', (code) => resolve(code)));
      r.proc.kill('SIGINT');
      const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000))]);
      assert.notEqual(code, 'timeout', `Ctrl-C did not stop the service:\n${r.output()}`);
      assert.equal(code, 0, r.output());
    },
    cleanUp() {
      for (const line of processes()) {
        const pid = Number(line.trim().split(/\s+/)[0]);
        if (pid) process.kill(pid, 'SIGKILL');
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
