/**
 * The run command's own process: `node dist/src/main.js` as `npm start` runs it after the build,
 * with its dev server on a SQLite file, the sandbox, the worker and the API, on free ports and a
 * temporary DATA_DIR. Proves the README's promises: it comes up (health, Web UI), runs a case end to
 * end, Ctrl-C leaves no process behind, and a restart still shows earlier workflows.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureTemporalCli, PROJECT_ROOT } from '../../src/temporal/cli';
import { freePort } from '../../src/temporal/dev-server';
import { signDialNexaBody } from '../../src/intake/signature';

interface Running {
  proc: ChildProcess;
  output: () => string;
}

/** Processes whose command line mentions `needle` (the temporary DATA_DIR is unique to this test). */
function processesMentioning(needle: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes(needle) && !l.includes('ps -eo'));
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('the embedded default (npm start)', function () {
  this.timeout(300_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-default-'));
  let env: NodeJS.ProcessEnv;
  let api: string;
  let ui: string;

  before(async () => {
    // `npm start` builds first: the compiled service and the workflow bundle it loads.
    const build = spawnSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}\n${build.stderr}`);
    const [http, temporal, uiPort, sandbox, metrics] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    api = `http://127.0.0.1:${http}`;
    ui = `http://127.0.0.1:${uiPort}`;
    env = {
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
      SANDBOX_PORT: String(sandbox),
      TEMPORAL_METRICS_BIND_ADDRESS: `127.0.0.1:${metrics}`,
      TEMPORAL_CLI_PATH: ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVar: process.env.PATH }),
    };
  });

  after(() => {
    for (const line of processesMentioning(dataDir)) {
      const pid = Number(line.trim().split(/\s+/)[0]);
      if (pid) process.kill(pid, 'SIGKILL');
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<Running> {
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
  }

  async function stop(r: Running): Promise<void> {
    const exited = new Promise<number | null>((resolve) => r.proc.once('exit', (code) => resolve(code)));
    r.proc.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000))]);
    assert.notEqual(code, 'timeout', `Ctrl-C did not stop the service:\n${r.output()}`);
    assert.equal(code, 0, r.output());
  }

  const token = () => fs.readFileSync(path.join(dataDir, 'secrets', 'api-token'), 'utf8').trim();
  const caseState = async (workflowId: string) => {
    const res = await fetch(`${api}/cases/${encodeURIComponent(workflowId)}`, { headers: { authorization: `Bearer ${token()}` } });
    return res.status === 200 ? ((await res.json()) as { executionStatus: string; state: { status: string } }) : undefined;
  };

  it('comes up with health, the Web UI and a working case path; Ctrl-C leaves no process; a restart keeps the case', async () => {
    const first = await start();
    assert.equal((await fetch(`${api}/healthz`)).status, 200);
    assert.equal((await fetch(`${api}/readyz`)).status, 200);
    assert.equal((await fetch(ui)).status, 200, 'Temporal Web UI answers');

    // A signed DialNexa call: the invoice resend runs to completion against the sandbox.
    const raw = fs.readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'calls', 'invoice_resend.json'));
    const secret = fs.readFileSync(path.join(dataDir, 'secrets', 'dialnexa-webhook'), 'utf8').trim();
    const posted = await fetch(`${api}/webhooks/dialnexa`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dialnexa-signature': signDialNexaBody(raw, secret) },
      body: raw,
    });
    assert.equal(posted.status, 202, await posted.clone().text());
    const { cases } = (await posted.json()) as { cases: { workflowId: string }[] };
    const workflowId = cases[0].workflowId;
    const done = await waitFor(
      'the case to complete',
      async () => ((await caseState(workflowId))?.state.status === 'completed' ? true : undefined),
      90_000,
    );
    assert.equal(done, true);

    await stop(first);
    assert.deepEqual(processesMentioning(dataDir), [], 'no process of the service (dev server included) survives Ctrl-C');

    const second = await start();
    try {
      const again = await caseState(workflowId);
      assert.equal(again?.executionStatus, 'COMPLETED', 'the earlier case is still there after a restart (SQLite file)');
    } finally {
      await stop(second);
    }
    assert.deepEqual(processesMentioning(dataDir), []);
  });
});
