/**
 * The embedded Temporal: the CLI's dev server (real Temporal, SQLite file, Web UI), started as a
 * child process, awaited until it answers, and prepared for this service (search attributes,
 * retention). Used by `npm start` and by the tests; production points TEMPORAL_ADDRESS elsewhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { daysToDuration } from '../temporal/sdk-helpers';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES } from '../temporal/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const indexedTypeOf: Record<string, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Dynamic config every dev server the project starts runs with (`npm start`, the tests, the bench).
 * `system.enableActivityEagerExecution`: an activity a workflow task schedules on the worker's own
 * task queue comes back in the response to that task's completion, instead of going through the
 * matching service to the next activity poll: one round trip and one task-queue hop less per
 * activity; retries and timeouts are unchanged. Off by default in the server; docker-compose turns
 * it on too (deploy/temporal/dynamicconfig.yaml).
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, string | number | boolean>> = {
  'system.enableActivityEagerExecution': true,
};

export interface DevServerOptions {
  cliPath: string;
  ip?: string;
  port: number;
  /** Web UI port; omit for a headless server (tests). */
  uiPort?: number;
  /** SQLite file; omit for in-memory. */
  dbFile?: string;
  namespace: string;
  retentionDays: number;
  /** Where the server's own log goes (kept out of the service's output). */
  logFile?: string;
  /** SQLite pragmas (`--sqlite-pragma`, e.g. `journal_mode=wal`); the dev server accepts journal_mode and synchronous. */
  sqlitePragmas?: string[];
  /** Temporal Web UI codec endpoint (payload decryption in the browser). */
  uiCodecEndpoint?: string;
  /** Server dynamic config (`--dynamic-config-value key=<JSON>`), over DEV_SERVER_DYNAMIC_CONFIG. */
  dynamicConfig?: Record<string, string | number | boolean>;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  /** The dynamic config it was started with (DEV_SERVER_DYNAMIC_CONFIG plus the caller's). */
  dynamicConfig: Record<string, string | number | boolean>;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a dev server on a port picked by `freePort()`, picking another when the server exits at
 * start-up: between the pick and the server's bind, another process on a busy machine (a parallel
 * test's server, its HTTP port at port + 1000) can take the port, and the CLI then exits at once.
 * Only for callers that do not need a fixed port (tests, benches).
 */
export async function startDevServerOnFreePort(opts: Omit<DevServerOptions, 'port'>, attempts = 3): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServer({ ...opts, port: await freePort(opts.ip) });
    } catch (err) {
      if (attempt >= attempts || !/exited during start-up/.test((err as Error).message)) throw err;
    }
  }
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace,
    '--log-format',
    'json',
    '--log-level',
    'warn',
  ];
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort), '--ui-ip', ip);
  else args.push('--headless');
  for (const p of opts.sqlitePragmas ?? []) args.push('--sqlite-pragma', p);
  if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  const dynamicConfig = { ...DEV_SERVER_DYNAMIC_CONFIG, ...opts.dynamicConfig };
  for (const [k, v] of Object.entries(dynamicConfig)) args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
  // Search attributes: start-up flags define them in a fresh DB file before any service loads its
  // caches (without the forced refresh below, a mapping added through the API after start-up is
  // only seen once the namespace cache refreshes). On an existing file the flags are ignored and
  // prepareNamespace() adds what is missing through the operator API.
  // The CLI matches type names case-insensitively against Keyword, KeywordList, Int, ...
  for (const k of ALL_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${k.name}=${k.type.replace(/_/g, '')}`);

  let logFd: number | 'ignore' = 'ignore';
  if (opts.logFile) {
    fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
    logFd = fs.openSync(opts.logFile, 'a');
  }
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', logFd, logFd] });
  if (typeof logFd === 'number') fs.closeSync(logFd);
  // If this process exits without stopping the server (an uncaught error, process.exit), take the
  // server down too: no orphan dev servers holding ports and SQLite files.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );

  const address = `${ip}:${opts.port}`;
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exitPromise;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      throw new Error(
        `Temporal dev server exited during start-up (code ${exited.code}, signal ${exited.signal})${opts.logFile ? `; see ${opts.logFile}` : ''}`,
      );
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace: opts.namespace });
        await prepareNamespace(conn, opts.namespace, opts.retentionDays);
      } finally {
        await conn.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Temporal dev server did not become ready at ${address}: ${(err as Error).message}`, { cause: err });
      }
      await sleep(250);
    }
  }
  return {
    address,
    uiUrl: opts.uiPort ? `http://${ip === '0.0.0.0' ? 'localhost' : ip}:${opts.uiPort}` : undefined,
    process: child,
    dynamicConfig,
    stop,
  };
}

/**
 * Registers the service's search attributes (idempotent) and sets the namespace's retention.
 * Safe against any server where the caller may operate the namespace.
 */
export async function prepareNamespace(conn: Connection, namespace: string, retentionDays: number): Promise<void> {
  const existing = await conn.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.fromEntries(ALL_SEARCH_ATTRIBUTES.filter((k) => !known.has(k.name)).map((k) => [k.name, indexedTypeOf[k.type]]));
  if (Object.keys(missing).length > 0) {
    await conn.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
  const ns = await conn.workflowService.describeNamespace({ namespace });
  const wanted = retentionDays * 24 * 3600;
  const current = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
  if (current !== wanted) {
    await conn.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: daysToDuration(retentionDays) },
    });
  }
}
