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
import { ensureTemporalCli, PROJECT_ROOT } from '../../src/devtools/temporal-cli';
import { freePort } from '../../src/devtools/dev-server';

export interface Running {
  proc: ChildProcess;
  output: () => string;
}

export interface Embedded {
  dataDir: string;
  /** The service's environment; its ports change only when a start found one taken (see `start`). */
  env: NodeJS.ProcessEnv;
  readonly api: string;
  readonly ui: string;
  readonly sandbox: string;
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
  // The ledger's private PostgreSQL runs as the postgres user when we are root: it must enter DATA_DIR.
  fs.chmodSync(dataDir, 0o755);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    TEMPORAL_CLI_PATH: ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVar: process.env.PATH }),
  };
  const choosePorts = async () => {
    const [http, temporal, uiPort, sandboxPort, metrics, ledgerPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    Object.assign(env, {
      HTTP_PORT: String(http),
      PUBLIC_BASE_URL: `http://127.0.0.1:${http}`,
      TEMPORAL_DEV_PORT: String(temporal),
      TEMPORAL_DEV_UI_PORT: String(uiPort),
      TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
      SANDBOX_PORT: String(sandboxPort),
      TEMPORAL_METRICS_BIND_ADDRESS: `127.0.0.1:${metrics}`,
      LEDGER_DEV_PORT: String(ledgerPort),
    });
  };
  await choosePorts();
  const processes = () =>
    spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l.includes(dataDir) && !l.includes('ps -eo'));

  /** One start: resolves on the banner, rejects with the output when the process exits first or nothing comes within 2 min. */
  const launch = async (): Promise<Running> => {
    const proc = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<'exited'>((resolve) => proc.once('exit', () => resolve('exited')));
    const up = waitFor('the start-up banner', async () => (out.includes('Press Ctrl-C') ? ('up' as const) : undefined), 120_000);
    const outcome = await Promise.race([up, exited]).catch((err: Error) => err.message);
    if (outcome !== 'up') {
      proc.kill('SIGKILL');
      throw new Error(`npm start did not come up (${outcome}):\n${out}`);
    }
    return { proc, output: () => out };
  };

  return {
    dataDir,
    env,
    get api() {
      return env.PUBLIC_BASE_URL!;
    },
    get ui() {
      return env.TEMPORAL_UI_URL!;
    },
    get sandbox() {
      return `http://127.0.0.1:${env.SANDBOX_PORT}`;
    },
    processes,
    token: () => fs.readFileSync(path.join(dataDir, 'secrets', 'api-token'), 'utf8').trim(),
    async start() {
      // A free port can be taken between choosing it and binding it (the dev server's own services
      // bind ephemeral ports while it starts): then choose again, up to three times.
      for (let attempt = 1; ; attempt++) {
        try {
          return await launch();
        } catch (err) {
          if (attempt >= 3 || !/is in use|EADDRINUSE|address already in use/i.test((err as Error).message)) throw err;
          await choosePorts();
        }
      }
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
