/**
 * The Node floor (issue 23): one number in package.json `engines`, src/require-node.ts,
 * scripts/with-node.cjs, @types/node and the Dockerfile; the entry points and the test run refuse
 * an older Node with a message that says how to get the right one; the npm scripts run on it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { NODE_FLOOR_MAJOR, unsupportedNodeMessage } from '../../src/require-node';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the launcher is plain CommonJS (it runs before any TypeScript tooling)
const launcher = require('../../scripts/with-node.cjs') as {
  NODE_VERSION: string;
  FLOOR_MAJOR: number;
  PACKAGES: Record<string, { name: string }>;
};

/** A Node older than the floor on this machine (PATH without the project's own, then the usual places), if any. */
function olderNode(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin'].filter((d) => d && !d.includes('.tools'));
  for (const dir of dirs) {
    const bin = path.join(dir, 'node');
    if (!fs.existsSync(bin)) continue;
    const v = spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (v.status === 0 && Number(v.stdout.split('.')[0]) < NODE_FLOOR_MAJOR) return bin;
  }
  return undefined;
}

describe('the Node floor', () => {
  it('is one number: engines, the start check, the launcher, its pinned runtime, @types/node and the image', () => {
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };
    assert.equal(pkg.engines.node, `>=${NODE_FLOOR_MAJOR}`);
    assert.equal(launcher.FLOOR_MAJOR, NODE_FLOOR_MAJOR);
    assert.equal(Number(launcher.NODE_VERSION.split('.')[0]), NODE_FLOOR_MAJOR);
    assert.equal(Number(pkg.devDependencies['@types/node'].split('.')[0]), NODE_FLOOR_MAJOR);
    const froms = [...read('Dockerfile').matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
    assert.ok(froms.length >= 2, 'build and runtime stages');
    for (const major of froms) assert.equal(major, NODE_FLOOR_MAJOR);
    assert.equal(Number(process.versions.node.split('.')[0]) >= NODE_FLOOR_MAJOR, true, `this run is on ${process.version}`);
  });

  it('says how to get the right Node when the running one is older', () => {
    const msg = unsupportedNodeMessage('20.20.2', '/usr/bin/node');
    assert.ok(msg);
    assert.match(msg, new RegExp(`needs Node\\.js >= ${NODE_FLOOR_MAJOR}`));
    assert.match(msg, /this is Node 20\.20\.2 \(\/usr\/bin\/node\)/);
    assert.match(msg, /npm start/);
    assert.match(msg, /node scripts\/with-node\.cjs <command>/);
    assert.equal(unsupportedNodeMessage(`${NODE_FLOOR_MAJOR}.0.0`, 'node'), undefined);
    assert.equal(unsupportedNodeMessage('26.1.0', 'node'), undefined);
  });

  it('every npm script that runs service code, tests or tools goes through the launcher', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const name of [
      'start',
      'test',
      'test:cluster',
      'test:unit',
      'test:reliability',
      'worker',
      'api',
      'setup',
      'sandbox',
      'bench',
      'call',
    ]) {
      assert.match(scripts[name], /node scripts\/with-node\.cjs /, name);
    }
    assert.match(read('.ci/run'), /npm test\b/);
  });

  describe('on a machine whose own Node is older', function () {
    let old: string | undefined;
    before(function () {
      old = olderNode();
      // A machine with only Node >= the floor (the node:24 image, CI on 24) has nothing older to try.
      if (!old) this.skip();
    });

    for (const entry of ['src/api.ts', 'src/worker.ts', 'src/main.ts']) {
      it(`${entry} refuses to start, saying how to get Node ${NODE_FLOOR_MAJOR}`, () => {
        const res = spawnSync(old as string, ['--import', 'tsx', entry], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
        assert.equal(res.status, 1, `${res.stdout}\n${res.stderr}`);
        assert.match(res.stderr, new RegExp(`This service needs Node\\.js >= ${NODE_FLOOR_MAJOR}`));
        assert.match(res.stderr, /scripts\/with-node\.cjs/);
      });
    }

    it('the test run refuses too (mocha with the project config)', () => {
      const mocha = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
      const res = spawnSync(old as string, [mocha, '--config', '.mocharc.unit.json', 'test/unit/node-floor.test.ts'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.notEqual(res.status, 0);
      assert.match(res.stderr, new RegExp(`This service needs Node\\.js >= ${NODE_FLOOR_MAJOR}`));
    });

    it(`the launcher runs a command on Node ${NODE_FLOOR_MAJOR} from it (the npm scripts' path)`, () => {
      const res = spawnSync(old as string, ['scripts/with-node.cjs', 'node', '-p', 'process.version'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 300_000,
      });
      assert.equal(res.status, 0, res.stderr);
      assert.equal(res.stdout.trim(), `v${launcher.NODE_VERSION}`, 'the pinned release, from .tools');
    });
  });
});
