/**
 * The project's own Temporal cluster, production-shaped and without Docker: a private PostgreSQL
 * cluster (initdb + pg_ctl, its own port and socket directory), the two databases migrated by
 * deploy/temporal/setup-schema.sh, temporal-server (frontend, history, matching and worker services
 * in one process, 4 history shards, SQL visibility) configured by deploy/temporal/server.env and
 * deploy/temporal/dynamicconfig.yaml, and the Web UI server. The same files configure the
 * docker-compose stack, so the two cannot drift.
 *
 * Used by `npm run cluster` (scripts/cluster.ts), the cluster tests (test/cluster/) and
 * `npm run bench -- --cluster`. Every part can be stopped, killed and started again on the same
 * data, which is what the restart tests need.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DEPLOY_TEMPORAL_DIR, ensureClusterTools, readServerEnv, type ClusterTools } from './cluster-tools';
import { ensureTemporalCli } from './temporal-cli';
import { ALL_SEARCH_ATTRIBUTES, CaseStatusKey } from '../temporal/search-attributes';

/** Ports of one cluster: `base` and the next 10 (PostgreSQL, the four services' gRPC and membership ports, UI). */
export interface ClusterPorts {
  postgres: number;
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  ui: number;
}

export const CLUSTER_PORT_COUNT = 11;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * The first port of `size` consecutive free ports in [from, to), tried from a random slot: fixed
 * ports a run can name (the dev-server tests use ephemeral ports, so a range below them never
 * collides), and two runs on one machine rarely pick the same block.
 */
export async function freePortBlock(size: number, from = 17000, to = 18000): Promise<number> {
  const slots = Math.floor((to - from) / size);
  const first = Math.floor(Math.random() * slots);
  for (let i = 0; i < slots; i++) {
    const start = from + ((first + i) % slots) * size;
    let ok = true;
    for (let p = start; p < start + size && ok; p++) ok = await portFree(p);
    if (ok) return start;
  }
  throw new Error(`no block of ${size} free ports in ${from}-${to - 1}`);
}

export function clusterPorts(base: number): ClusterPorts {
  return {
    postgres: base,
    frontend: base + 1,
    frontendHttp: base + 2,
    frontendMembership: base + 3,
    history: base + 4,
    historyMembership: base + 5,
    matching: base + 6,
    matchingMembership: base + 7,
    worker: base + 8,
    workerMembership: base + 9,
    ui: base + 10,
  };
}

export interface ClusterOptions {
  /** Where PostgreSQL's data, the logs and the UI config live; reused on the next start. */
  dir: string;
  ports: ClusterPorts;
  namespace: string;
  retentionDays: number;
  /** Start the Web UI server too. */
  ui?: boolean;
  /** Web UI codec endpoint (payload decryption in the browser) and whether it gets the cookie. */
  uiCodecEndpoint?: string;
  uiCodecIncludeCredentials?: boolean;
  uiCorsOrigins?: string;
  tools?: ClusterTools;
  /** The Temporal CLI (TEMPORAL_CLI_PATH); found or built like the dev server's. */
  temporalCliPath?: string;
  pathVar?: string;
  log?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface Cluster {
  address: string;
  uiUrl?: string;
  namespace: string;
  ports: ClusterPorts;
  dir: string;
  /** psql-style connection facts for the visibility database (tests query it directly). */
  postgres: { host: string; port: number; user: string; socketDir: string; bin: string };
  serverLog: string;
  /** temporal-server's process id while it runs (CPU and memory sampling). */
  serverPid(): number | undefined;
  /** Size of the two databases, bytes. */
  dbBytes(): number;
  /** Stops temporal-server (SIGTERM, or SIGKILL for a crash) and starts it again on the same database. */
  restartServer(opts?: { kill?: boolean; downMs?: number }): Promise<void>;
  stopServer(opts?: { kill?: boolean }): Promise<void>;
  startServer(): Promise<void>;
  /** Stops PostgreSQL (`immediate`: no checkpoint, crash recovery on start) and starts it again. */
  restartPostgres(opts?: { mode?: 'fast' | 'immediate'; downMs?: number }): Promise<void>;
  /** Runs SQL against a database of the cluster with psql; returns its unaligned output rows. */
  sql(database: string, query: string): string[];
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const PG_USER = 'temporal';

/**
 * util-linux's runuser lives in sbin, which a minimal PATH (a new machine's CI shell, cron) may not
 * list: look there by absolute path before falling back to the PATH.
 */
function runuserPath(): string {
  return ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => fs.existsSync(p)) ?? 'runuser';
}

// PostgreSQL refuses to run as root: as root, its commands run as the `postgres` system user.
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? [runuserPath(), ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; what: string }): string {
  const [c, a] = asPostgresIfPg(cmd, args);
  const res = spawnSync(c, a, { encoding: 'utf8', env: opts.env });
  if (res.status !== 0)
    throw new Error(
      `${opts.what} failed (exit ${res.status ?? res.signal}): ${(res.stderr || res.stdout || String(res.error ?? '')).trim()}`,
    );
  return res.stdout;
}

function asPostgresIfPg(cmd: string, args: string[]): [string, string[]] {
  return cmd.includes(`${path.sep}postgresql${path.sep}`) ? asPostgres(cmd, args) : [cmd, args];
}

// The server and UI children get only what they need: their settings and a PATH/HOME.
// eslint-disable-next-line no-restricted-properties
const baseEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME });

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const tools = opts.tools ?? ensureClusterTools({ pathVar: opts.pathVar, log });
  // The namespace is registered with the CLI, by the script docker-compose runs too.
  const cliPath = ensureTemporalCli({ cliPath: opts.temporalCliPath, pathVar: opts.pathVar, log });
  const { ports } = opts;
  const dir = path.resolve(opts.dir);
  const pgData = path.join(dir, 'pgdata');
  const socketDir = path.join(dir, 'pg-socket');
  const serverLog = path.join(dir, 'temporal-server.log');
  const uiLog = path.join(dir, 'temporal-ui.log');
  fs.mkdirSync(socketDir, { recursive: true });
  // The postgres user must reach its data directory and socket directory.
  fs.chmodSync(dir, 0o755);
  if (isRoot()) {
    for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
      if ((fs.statSync(d).mode & 0o001) === 0)
        throw new Error(
          `the cluster directory ${dir} is inside ${d}, which the postgres user cannot enter (chmod o+x it, or choose another --dir)`,
        );
    }
  }
  if (isRoot()) run('chown', ['postgres:postgres', socketDir], { what: 'chown socket dir' });
  const pgCtl = path.join(tools.postgresBin, 'pg_ctl');

  // 1. PostgreSQL: a private cluster, trust auth on the loopback only.
  if (!fs.existsSync(path.join(pgData, 'PG_VERSION'))) {
    fs.mkdirSync(pgData, { recursive: true, mode: 0o700 });
    if (isRoot()) run('chown', ['postgres:postgres', pgData], { what: 'chown pgdata' });
    run(path.join(tools.postgresBin, 'initdb'), ['-D', pgData, '-U', PG_USER, '-A', 'trust', '-E', 'UTF8', '--no-locale'], {
      what: 'initdb',
    });
  }
  const pgLog = path.join(dir, 'postgres.log');
  if (!fs.existsSync(pgLog)) {
    fs.writeFileSync(pgLog, '');
    if (isRoot()) run('chown', ['postgres:postgres', pgLog], { what: 'chown postgres.log' });
  }
  const pgOptions = `-p ${ports.postgres} -k ${socketDir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  const startPostgres = () => run(pgCtl, ['-D', pgData, '-l', pgLog, '-o', pgOptions, '-w', '-t', '60', 'start'], { what: 'pg_ctl start' });
  const stopPostgres = (mode: 'fast' | 'immediate') =>
    run(pgCtl, ['-D', pgData, '-m', mode, '-w', '-t', '60', 'stop'], { what: 'pg_ctl stop' });
  const pgRunning = () => spawnSync(...asPostgres(pgCtl, ['-D', pgData, 'status'])).status === 0;
  if (!pgRunning()) startPostgres();

  const sql = (database: string, query: string): string[] =>
    run(
      path.join(tools.postgresBin, 'psql'),
      ['-h', socketDir, '-p', String(ports.postgres), '-U', PG_USER, '-d', database, '-At', '-v', 'ON_ERROR_STOP=1', '-c', query],
      { what: 'psql' },
    )
      .split('\n')
      .filter((l) => l.length > 0);

  // 2. The two databases, created and migrated by the same script docker-compose runs.
  const serverEnv = readServerEnv();
  await runScript('setup-schema.sh', {
    SQL_TOOL: tools.sqlTool,
    SCHEMA_DIR: tools.schemaDir,
    PG_HOST: '127.0.0.1',
    PG_PORT: String(ports.postgres),
    PG_USER: serverEnv.POSTGRES_USER ?? PG_USER,
    PG_PASSWORD: '',
    DBNAME: serverEnv.DBNAME ?? 'temporal',
    VISIBILITY_DBNAME: serverEnv.VISIBILITY_DBNAME ?? 'temporal_visibility',
  });

  // 3. temporal-server: the embedded config template, fed server.env plus where things are here.
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    ...serverEnv,
    POSTGRES_SEEDS: '127.0.0.1',
    DB_PORT: String(ports.postgres),
    POSTGRES_PWD: '',
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    FRONTEND_GRPC_PORT: String(ports.frontend),
    FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    HISTORY_GRPC_PORT: String(ports.history),
    HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    MATCHING_GRPC_PORT: String(ports.matching),
    MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    WORKER_GRPC_PORT: String(ports.worker),
    WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    DYNAMIC_CONFIG_FILE_PATH: path.join(DEPLOY_TEMPORAL_DIR, 'dynamicconfig.yaml'),
  };
  const address = `127.0.0.1:${ports.frontend}`;
  let server: ChildProcess | undefined;
  let serverExit: Promise<void> = Promise.resolve();
  const killOnExit = () => {
    server?.kill('SIGKILL');
    ui?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const startServer = async () => {
    const fd = fs.openSync(serverLog, 'a');
    const child = spawn(tools.server, ['start'], { env, stdio: ['ignore', fd, fd], cwd: dir });
    fs.closeSync(fd);
    server = child;
    let exited: string | undefined;
    serverExit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        exited = `code ${code}, signal ${signal}`;
        resolve();
      }),
    );
    await waitReady(address, {
      namespace: opts.namespace,
      retentionDays: opts.retentionDays,
      cliPath,
      timeoutMs: opts.startTimeoutMs ?? 120_000,
      exited: () => (exited ? `temporal-server exited (${exited}); see ${serverLog}` : undefined),
    });
  };
  const stopServer = async ({ kill = false } = {}) => {
    const child = server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(kill ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await serverExit;
    clearTimeout(timer);
  };

  let ui: ChildProcess | undefined;
  try {
    await startServer();
    // 4. The Web UI server, with its own env-driven docker.yaml template (as the temporalio/ui image).
    if (opts.ui) ui = await startUi(tools, dir, uiLog, ports, opts);
  } catch (err) {
    await stopServer({ kill: true });
    if (pgRunning()) stopPostgres('fast');
    process.removeListener('exit', killOnExit);
    throw err;
  }

  return {
    address,
    uiUrl: ui ? `http://127.0.0.1:${ports.ui}` : undefined,
    namespace: opts.namespace,
    ports,
    dir,
    postgres: { host: '127.0.0.1', port: ports.postgres, user: PG_USER, socketDir, bin: tools.postgresBin },
    serverLog,
    serverPid: () => (server && server.exitCode === null ? server.pid : undefined),
    dbBytes: () =>
      Number(
        sql(
          'postgres',
          `SELECT sum(pg_database_size(datname)) FROM pg_database WHERE datname IN ('${serverEnv.DBNAME ?? 'temporal'}', '${serverEnv.VISIBILITY_DBNAME ?? 'temporal_visibility'}')`,
        )[0],
      ),
    stopServer,
    startServer,
    async restartServer({ kill = false, downMs = 0 } = {}) {
      await stopServer({ kill });
      await sleep(downMs);
      await startServer();
    },
    async restartPostgres({ mode = 'immediate', downMs = 0 } = {}) {
      stopPostgres(mode);
      await sleep(downMs);
      startPostgres();
    },
    sql,
    async stop() {
      if (ui && ui.exitCode === null && ui.signalCode === null) {
        const gone = new Promise((r) => ui?.once('exit', r));
        ui.kill('SIGTERM');
        await gone;
      }
      await stopServer();
      if (pgRunning()) stopPostgres('fast');
      process.removeListener('exit', killOnExit);
    },
  };
}

/**
 * Until the frontend answers, the namespace exists with its retention and search attributes
 * (deploy/temporal/setup-namespace.sh, as docker-compose runs it), and a start request carrying a
 * custom search attribute is accepted: the frontend's namespace cache refreshes on its own
 * schedule, and a case must not meet "no mapping defined for search attribute".
 */
async function waitReady(
  address: string,
  opts: { namespace: string; retentionDays: number; cliPath: string; timeoutMs: number; exited: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  await runScript(
    'setup-namespace.sh',
    { TEMPORAL_CLI: opts.cliPath, TEMPORAL_ADDRESS: address, NAMESPACE: opts.namespace, RETENTION: `${opts.retentionDays * 24}h` },
    opts.exited,
  );
  let last = '';
  for (;;) {
    const why = opts.exited();
    if (why) throw new Error(why);
    if (Date.now() > deadline) throw new Error(`Temporal cluster at ${address} not ready within ${opts.timeoutMs / 1000} s: ${last}`);
    let conn: Connection | undefined;
    try {
      conn = await Connection.connect({ address, connectTimeout: 1000 });
      const known = await conn.operatorService.listSearchAttributes({ namespace: opts.namespace });
      const missing = ALL_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (known.customAttributes ?? {})));
      if (missing.length) throw new Error(`search attributes not registered: ${missing.map((k) => k.name).join(', ')}`);
      const client = new Client({ connection: conn, namespace: opts.namespace });
      const probe = await client.workflow.start('clusterReadinessProbe', {
        taskQueue: 'cluster-readiness-probe',
        workflowId: `cluster-readiness-probe-${Date.now()}`,
        typedSearchAttributes: [{ key: CaseStatusKey, value: 'probe' }],
      });
      await probe.terminate('readiness probe');
      return;
    } catch (err) {
      last = (err as Error).message;
      await sleep(500);
    } finally {
      await conn?.close();
    }
  }
}

/** Runs a deploy/temporal/ script with the given environment; rejects with its output when it fails. */
function runScript(name: string, env: Record<string, string>, exited: () => string | undefined = () => undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [path.join(DEPLOY_TEMPORAL_DIR, name)], { env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${name} failed (exit ${code})${exited() ? ` (${exited()})` : ''}: ${out.trim().slice(-2000)}`)),
    );
  });
}

async function startUi(
  tools: ClusterTools,
  dir: string,
  logFile: string,
  ports: ClusterPorts,
  opts: ClusterOptions,
): Promise<ChildProcess> {
  const root = path.join(dir, 'ui');
  fs.mkdirSync(path.join(root, 'config'), { recursive: true });
  fs.copyFileSync(path.join(tools.uiConfigDir, 'docker.yaml'), path.join(root, 'config', 'docker.yaml'));
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(tools.uiServer, ['--root', root, '--config', 'config', '--env', 'docker', 'start'], {
    stdio: ['ignore', fd, fd],
    env: {
      ...baseEnv(),
      TEMPORAL_ADDRESS: `127.0.0.1:${ports.frontend}`,
      TEMPORAL_UI_PORT: String(ports.ui),
      TEMPORAL_DEFAULT_NAMESPACE: opts.namespace,
      TEMPORAL_CORS_ORIGINS: opts.uiCorsOrigins ?? '',
      TEMPORAL_CODEC_ENDPOINT: opts.uiCodecEndpoint ?? '',
      TEMPORAL_CODEC_INCLUDE_CREDENTIALS: String(opts.uiCodecIncludeCredentials ?? false),
      TEMPORAL_DISABLE_NEWS_FETCH: 'true',
    },
  });
  fs.closeSync(fd);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal-ui-server exited (code ${child.exitCode}); see ${logFile}`);
    try {
      const res = await fetch(`http://127.0.0.1:${ports.ui}/api/v1/settings`);
      if (res.ok) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal-ui-server did not answer on port ${ports.ui} within 30 s; see ${logFile}`);
    }
    await sleep(250);
  }
}
