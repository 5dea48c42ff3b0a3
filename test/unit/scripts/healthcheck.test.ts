/** The container HEALTHCHECK probe (scripts/healthcheck.ts): 2xx is healthy; an error status, a hang or no answer is not. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');

function probe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/healthcheck.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('container healthcheck probe', function () {
  let server: http.Server;
  let base: string;
  const hung: http.ServerResponse[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/healthz') res.end('{"status":"ok"}');
      else if (req.url === '/hang') hung.push(res);
      else res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    for (const res of hung) res.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it("probes the API's /healthz on HTTP_PORT by default and passes on 200", async () => {
    const port = new URL(base).port;
    assert.equal((await probe([], { HTTP_PORT: port })).code, 0);
  });

  it('fails on an error status, naming the URL', async () => {
    const res = await probe([`${base}/readyz`]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /answered HTTP 503/);
  });

  it('fails when nothing listens, and when the answer does not come within its timeout', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    assert.equal((await probe([`http://127.0.0.1:${port}/healthz`])).code, 1);
    const res = await probe([`${base}/hang`]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /did not answer/);
  });
});
