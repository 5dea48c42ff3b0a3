/**
 * The binaries of the project's own Temporal cluster, found in `.tools/bin` or built there from
 * their Go modules (as src/devtools/temporal-cli.ts does for the CLI): temporal-server, temporal-sql-tool
 * and the Web UI server, plus PostgreSQL (Debian's package, apt-installed when missing and root).
 * Versions are pinned here; docker-compose.yml uses the same ones (test/ops/cluster-config.test.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { findGo, PROJECT_ROOT, TOOLS_BIN } from './temporal-cli';

/** Newest server release whose go.mod the Go here accepts (v1.32.2 and later need a newer Go). */
export const TEMPORAL_SERVER_VERSION = 'v1.32.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
/** Newest UI server release that builds with the Go here; the Web UI's assets are embedded. */
export const UI_SERVER_VERSION = 'v2.55.0';
export const UI_SERVER_MODULE = 'github.com/temporalio/ui-server/v2';
export const POSTGRES_MAJOR = 15;
/** The configuration docker-compose.yml mounts, shared with the cluster (deploy/temporal/). */
export const DEPLOY_TEMPORAL_DIR = path.join(PROJECT_ROOT, 'deploy', 'temporal');

export class ClusterToolsError extends Error {
  override name = 'ClusterToolsError';
}

interface Tool {
  /** Name in .tools/bin. */
  name: string;
  /** `go install` target. */
  pkg: string;
  module: string;
  version: string;
}

export const CLUSTER_TOOLS: readonly Tool[] = [
  {
    name: 'temporal-server',
    pkg: `${TEMPORAL_SERVER_MODULE}/cmd/server`,
    module: TEMPORAL_SERVER_MODULE,
    version: TEMPORAL_SERVER_VERSION,
  },
  {
    name: 'temporal-sql-tool',
    pkg: `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql`,
    module: TEMPORAL_SERVER_MODULE,
    version: TEMPORAL_SERVER_VERSION,
  },
  { name: 'temporal-ui-server', pkg: `${UI_SERVER_MODULE}/cmd/server`, module: UI_SERVER_MODULE, version: UI_SERVER_VERSION },
];

export interface ClusterTools {
  server: string;
  sqlTool: string;
  uiServer: string;
  /** The server module's schema/ directory (setup-schema.sh SCHEMA_DIR). */
  schemaDir: string;
  /** The UI server module's config/ directory (its docker.yaml is an env-driven template). */
  uiConfigDir: string;
  /** PostgreSQL's bin directory (initdb, pg_ctl, postgres). */
  postgresBin: string;
}

type Log = (line: string) => void;
const defaultLog: Log = (l) => process.stderr.write(`${l}\n`);

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

// The Go children inherit the environment (GOPATH, GOCACHE, proxies); this is not configuration.
// eslint-disable-next-line no-restricted-properties
const inheritedEnv = () => ({ ...process.env });

/** `<name>.version` next to a built binary records what it was built from. */
const stampFile = (tool: Tool) => path.join(TOOLS_BIN, `${tool.name}.version`);
const stampOf = (tool: Tool) => `${tool.pkg}@${tool.version}`;

function installed(tool: Tool): boolean {
  const bin = path.join(TOOLS_BIN, tool.name);
  return isExecutable(bin) && fs.existsSync(stampFile(tool)) && fs.readFileSync(stampFile(tool), 'utf8').trim() === stampOf(tool);
}

function build(goBin: string, tool: Tool, log: Log): void {
  // Each `go install` names its binary after the package directory (`server` twice): build into a
  // private directory, then rename.
  const tmp = fs.mkdtempSync(path.join(path.dirname(TOOLS_BIN), 'gobuild-'));
  try {
    log(`cluster: building ${stampOf(tool)} into ${TOOLS_BIN} (the first server build takes about 10 minutes on 2 cores)...`);
    const started = Date.now();
    const res = spawnSync(goBin, ['install', `${tool.pkg}@${tool.version}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...inheritedEnv(), CGO_ENABLED: '0', GOBIN: tmp },
    });
    const out = path.join(tmp, path.basename(tool.pkg));
    if (res.status !== 0 || !isExecutable(out)) {
      throw new ClusterToolsError(`Building ${stampOf(tool)} failed (go install exit ${res.status ?? res.signal}). See the output above.`);
    }
    fs.renameSync(out, path.join(TOOLS_BIN, tool.name));
    fs.writeFileSync(stampFile(tool), `${stampOf(tool)}\n`);
    log(`cluster: built ${tool.name} in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The module's directory in the Go module cache, downloaded if the cache lost it. */
function moduleDir(goBin: string, module: string, version: string): string {
  const res = spawnSync(goBin, ['mod', 'download', '-json', `${module}@${version}`], {
    encoding: 'utf8',
    env: { ...inheritedEnv(), GOFLAGS: '-mod=mod' },
  });
  const dir = res.status === 0 ? (JSON.parse(res.stdout) as { Dir?: string }).Dir : undefined;
  if (!dir || !fs.existsSync(dir)) throw new ClusterToolsError(`go mod download ${module}@${version} failed: ${res.stderr || res.stdout}`);
  return dir;
}

/** PostgreSQL's bin directory: Debian's postgresql-15, apt-installed when missing (root only). */
export function ensurePostgres(log: Log = defaultLog): string {
  const bin = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`;
  if (isExecutable(path.join(bin, 'pg_ctl'))) return bin;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !isExecutable('/usr/bin/apt-get')) {
    throw new ClusterToolsError(
      `PostgreSQL ${POSTGRES_MAJOR} not found in ${bin}. Install it with: sudo apt-get install -y postgresql-${POSTGRES_MAJOR}`,
    );
  }
  log(`cluster: installing Debian postgresql-${POSTGRES_MAJOR} (apt-get)...`);
  const env = { ...inheritedEnv(), DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install =
    update.status === 0
      ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', `postgresql-${POSTGRES_MAJOR}`], { stdio: 'inherit', env })
      : update;
  if (install.status !== 0 || !isExecutable(path.join(bin, 'pg_ctl')))
    throw new ClusterToolsError(`installing postgresql-${POSTGRES_MAJOR} failed (see above)`);
  return bin;
}

/** Finds or builds everything the cluster needs. Quick when it is all there. */
export function ensureClusterTools(opts: { pathVar?: string; log?: Log } = {}): ClusterTools {
  const log = opts.log ?? defaultLog;
  const postgresBin = ensurePostgres(log);
  const goBin = findGo(opts.pathVar);
  if (!goBin)
    throw new ClusterToolsError(
      'Go >= 1.25 is needed to build the Temporal server for the cluster (https://go.dev/dl/), and `go` was not found.',
    );
  fs.mkdirSync(TOOLS_BIN, { recursive: true });
  for (const tool of CLUSTER_TOOLS) if (!installed(tool)) build(goBin, tool, log);
  return {
    server: path.join(TOOLS_BIN, 'temporal-server'),
    sqlTool: path.join(TOOLS_BIN, 'temporal-sql-tool'),
    uiServer: path.join(TOOLS_BIN, 'temporal-ui-server'),
    schemaDir: path.join(moduleDir(goBin, TEMPORAL_SERVER_MODULE, TEMPORAL_SERVER_VERSION), 'schema'),
    uiConfigDir: path.join(moduleDir(goBin, UI_SERVER_MODULE, UI_SERVER_VERSION), 'config'),
    postgresBin,
  };
}

/**
 * deploy/temporal/server.env as a map: KEY=VALUE lines, `#` comments. Deliberately no quoting or
 * expansion, so docker compose's env_file and this parser read the same values.
 */
export function readServerEnv(file = path.join(DEPLOY_TEMPORAL_DIR, 'server.env')): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [i, raw] of fs.readFileSync(file, 'utf8').split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m || /["'$]/.test(m[2] as string))
      throw new ClusterToolsError(`${file}:${i + 1}: expected KEY=VALUE without quotes or $: ${line}`);
    env[m[1] as string] = m[2] as string;
  }
  return env;
}
