/**
 * The Temporal server the benchmark runs against: a file-backed dev server started here (SQLite
 * file under bench/results/, pragmas named on the command line so the report can say which), or
 * an existing server given by address (then DB size is not measured).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { DEV_SERVER_DYNAMIC_CONFIG, freePort, prepareNamespace, startDevServer } from '../../src/devtools/dev-server';
import { CLUSTER_PORT_COUNT, clusterPorts, freePortBlock, startCluster } from '../../src/devtools/cluster';

/**
 * SQLite pragmas passed with `--sqlite-pragma`. WAL lets readers (visibility, history reads) run
 * beside the single writer; synchronous=NORMAL is WAL's usual durability level (fsync at
 * checkpoint, not at every commit). The dev server accepts only journal_mode and synchronous.
 */
export const DEFAULT_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

export interface BenchServer {
  address: string;
  namespace: string;
  /** Started here (true) or reused. */
  owned: boolean;
  dbFile?: string;
  pragmas: string[];
  /** Dynamic config the server was started with (the dev server's, BENCH_SERVER_CONFIG, --server-config); empty when reused. */
  dynamicConfig: Record<string, string | number | boolean>;
  /** Server process id, for CPU/RSS sampling; undefined when reused. */
  pid?: number;
  /** SQLite file plus its -wal and -shm files, in bytes; undefined when reused. */
  dbBytes(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Over DEV_SERVER_DYNAMIC_CONFIG for the bench's server. The CLI turns
 * `system.forceSearchAttributesCacheRefreshOnRead` on so that a search attribute added through the
 * API is usable at once; then every search-attribute lookup (each start, upsert and visibility
 * write) re-reads the cluster metadata from SQLite under a lock. No server outside the CLI runs
 * that way (auto-setup, docker-compose, Temporal Cloud), and the bench's database is always new
 * with the search attributes defined at start-up (startDevServer's flags), so it is off here:
 * the bench measures cases on a server configured as production ones are. 16% of the server's
 * CPU per waiting case in the measurement that chose it (BENCHMARKS.md).
 */
export const BENCH_SERVER_CONFIG: Readonly<Record<string, string | number | boolean>> = {
  'system.forceSearchAttributesCacheRefreshOnRead': false,
};

export class BenchServerError extends Error {
  override name = 'BenchServerError';
}

export async function startBenchServer(opts: {
  reuseAddress?: string;
  cluster?: boolean;
  dir: string;
  pragmas: string[];
  dynamicConfig?: Record<string, string | number | boolean>;
  namespace?: string;
}): Promise<BenchServer> {
  const namespace = opts.namespace ?? 'default';
  if (opts.cluster) return startBenchCluster(opts.dir, namespace);
  for (const p of opts.pragmas) {
    if (!/^(journal_mode|synchronous)=[a-z]+$/i.test(p))
      throw new BenchServerError(`unsupported SQLite pragma "${p}": the dev server accepts journal_mode=<mode> and synchronous=<level>`);
  }
  if (opts.reuseAddress) {
    const conn = await Connection.connect({ address: opts.reuseAddress });
    try {
      await prepareNamespace(conn, namespace, 1);
    } finally {
      await conn.close();
    }
    return {
      address: opts.reuseAddress,
      namespace,
      owned: false,
      pragmas: [],
      dynamicConfig: {},
      dbBytes: () => undefined,
      stop: async () => undefined,
    };
  }

  const cliPath = ensureTemporalCli({ pathVar: process.env.PATH });
  fs.mkdirSync(opts.dir, { recursive: true });
  const dbFile = path.join(opts.dir, 'bench-temporal.sqlite');
  // A fresh file per run: figures must not depend on what an earlier run left behind.
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(dbFile + suffix, { force: true });
  const server = await startDevServer({
    cliPath,
    port: await freePort(),
    namespace,
    retentionDays: 1,
    dbFile,
    sqlitePragmas: opts.pragmas,
    dynamicConfig: { ...BENCH_SERVER_CONFIG, ...opts.dynamicConfig },
    logFile: path.join(opts.dir, 'bench-temporal.log'),
    startTimeoutMs: 90_000,
  }).catch((err: Error) => {
    throw new BenchServerError(err.message);
  });
  const dbBytes = () => ['', '-wal', '-shm'].reduce((sum, s) => sum + (fs.existsSync(dbFile + s) ? fs.statSync(dbFile + s).size : 0), 0);
  return {
    address: server.address,
    namespace,
    owned: true,
    dbFile,
    pragmas: opts.pragmas,
    dynamicConfig: server.dynamicConfig,
    pid: server.process.pid,
    dbBytes,
    stop: server.stop,
  };
}

/**
 * `--cluster`: the project's own cluster (src/devtools/cluster.ts: PostgreSQL 15, temporal-server
 * with 4 history shards and SQL visibility, deploy/temporal/dynamicconfig.yaml), fresh under the
 * output folder, on ports in 17000-17999. DB size is PostgreSQL's size of the two databases.
 */
async function startBenchCluster(outDir: string, namespace: string): Promise<BenchServer> {
  const dir = path.join(outDir, 'bench-cluster');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const cluster = await startCluster({
    dir,
    ports: clusterPorts(await freePortBlock(CLUSTER_PORT_COUNT)),
    namespace,
    retentionDays: 1,
    pathVar: process.env.PATH,
    temporalCliPath: process.env.TEMPORAL_CLI_PATH,
  }).catch((err: Error) => {
    throw new BenchServerError(err.message);
  });
  return {
    address: cluster.address,
    namespace,
    owned: true,
    pragmas: [],
    // The values deploy/temporal/dynamicconfig.yaml holds (test/ops/temporal-server-config.test.ts).
    dynamicConfig: { ...DEV_SERVER_DYNAMIC_CONFIG },
    get pid() {
      return cluster.serverPid();
    },
    dbBytes: () => cluster.dbBytes(),
    stop: async () => {
      await cluster.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
