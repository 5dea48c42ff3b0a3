/**
 * Finds the Temporal CLI (which embeds the dev server), or builds it from its Go module.
 * Order: TEMPORAL_CLI_PATH, then PATH, then the project's git-ignored `.tools/bin`.
 * The SDK's own download of a dev server cannot work on machines without internet, and a
 * fake server is never an option: without the CLI and without Go we stop and say how to get it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** The last CLI release whose go.mod `go install` accepts. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []));
export const TOOLS_BIN = path.join(PROJECT_ROOT, '.tools', 'bin');

export class TemporalCliMissingError extends Error {
  override name = 'TemporalCliMissingError';
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Returns the CLI's path, or undefined when none is found. */
export function findTemporalCli(opts: { cliPath?: string; pathVar?: string } = {}): string | undefined {
  if (opts.cliPath) {
    if (!isExecutable(opts.cliPath)) throw new TemporalCliMissingError(`TEMPORAL_CLI_PATH=${opts.cliPath} is not an executable file`);
    return opts.cliPath;
  }
  return (
    onPath('temporal', opts.pathVar) ?? (isExecutable(path.join(TOOLS_BIN, 'temporal')) ? path.join(TOOLS_BIN, 'temporal') : undefined)
  );
}

function goVersion(goBin: string): [number, number] | undefined {
  const out = spawnSync(goBin, ['env', 'GOVERSION'], { encoding: 'utf8' });
  const m = /go(\d+)\.(\d+)/.exec(out.stdout ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** A Go toolchain >= 1.25 (PATH, then /usr/local/go), or undefined. Also used for the cluster's server build. */
export function findGo(pathVar: string | undefined): string | undefined {
  const goBin = onPath('go', pathVar) ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  const version = goBin ? goVersion(goBin) : undefined;
  if (!goBin || !version || version[0] < 1 || (version[0] === 1 && version[1] < 25)) return undefined;
  return goBin;
}

/**
 * Finds the CLI or builds it with `go install` into `.tools/bin` (first build: several minutes on a
 * 2-core machine, mostly module downloads and compiling the server). Logs progress to stderr.
 */
export function ensureTemporalCli(opts: { cliPath?: string; pathVar?: string; log?: (line: string) => void } = {}): string {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const found = findTemporalCli(opts);
  if (found) return found;
  const goBin = findGo(opts.pathVar);
  if (!goBin) {
    throw new TemporalCliMissingError(
      [
        'The Temporal CLI (`temporal`) was not found, and Go >= 1.25 is not available to build it.',
        'Install it one of these ways, then run the command again:',
        `  - go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}   (with Go >= 1.25; puts it in $(go env GOPATH)/bin)`,
        '  - download a release from https://github.com/temporalio/cli/releases and put `temporal` on PATH',
        '  - or point TEMPORAL_CLI_PATH at an existing binary, or TEMPORAL_ADDRESS at a running server.',
      ].join('\n'),
    );
  }
  fs.mkdirSync(TOOLS_BIN, { recursive: true });
  log(
    `temporal CLI not found; building ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} into ${TOOLS_BIN} (first build takes several minutes)...`,
  );
  const attempt = (extra: string[]) =>
    spawnSync(goBin, ['install', ...extra, `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      // The child inherits the environment (GOPATH, GOCACHE, proxies); this is not configuration.
      // eslint-disable-next-line no-restricted-properties
      env: { ...process.env, CGO_ENABLED: '0', GOBIN: TOOLS_BIN },
    });
  let res = attempt([]);
  if (res.status !== 0) {
    // Newer Go toolchains refuse some linkname uses in older dependencies; this flag relaxes that.
    log('go install failed; retrying with -ldflags=-checklinkname=0');
    res = attempt(['-ldflags=-checklinkname=0']);
  }
  const built = path.join(TOOLS_BIN, 'temporal');
  if (res.status !== 0 || !isExecutable(built)) {
    throw new TemporalCliMissingError(`Building the Temporal CLI failed (go install exit ${res.status}). See the output above.`);
  }
  log(`temporal CLI built: ${built}`);
  return built;
}
