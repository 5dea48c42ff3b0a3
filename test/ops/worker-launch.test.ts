/**
 * A worker's memory settings are read at process start (V8 heap limit, glibc malloc arenas), so
 * every launch path must carry them: package.json scripts, docker-compose.yml, the Dockerfile.
 * The bench launches its service worker from the same constants.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { WORKER_NODE_FLAGS, WORKER_PROCESS_ENV } from '../../src/worker';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const envPairs = Object.entries(WORKER_PROCESS_ENV);

describe('worker launch settings', () => {
  it('npm scripts that start a worker set the flags and environment', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    // A script that hands over to another (`npm start` -> `npm run start:here` on the project's Node) is read with it.
    const launch = (name: string): string =>
      [scripts[name], ...[...scripts[name].matchAll(/npm run ([\w:-]+)/g)].map((m) => launch(m[1]))].join('\n');
    for (const name of ['worker', 'start']) {
      const text = launch(name);
      assert.ok(text.includes(`node ${WORKER_NODE_FLAGS.join(' ')}`), `${name}: ${WORKER_NODE_FLAGS.join(' ')}`);
      for (const [k, v] of envPairs) assert.ok(text.includes(`${k}=${v} node`), `${name}: ${k}=${v}`);
    }
  });

  it('docker-compose.yml starts the worker with them', () => {
    const compose = read('docker-compose.yml');
    const worker = compose.slice(compose.indexOf('\n  worker:'), compose.indexOf('\n  api:'));
    assert.match(worker, new RegExp(`command: \\["node", ${WORKER_NODE_FLAGS.map((f) => `"${f}"`).join(', ')}, "dist/src/worker.js"\\]`));
    for (const [k, v] of envPairs) assert.ok(worker.includes(`${k}: "${v}"`), `compose worker env ${k}`);
  });

  it('the image sets the environment', () => {
    const dockerfile = read('Dockerfile');
    for (const [k, v] of envPairs) assert.match(dockerfile, new RegExp(`^ENV ${k}=${v}$`, 'm'));
  });
});
