/**
 * Mocha global fixture of `npm run test:cluster`: the project's own Temporal cluster
 * (src/devtools/cluster.ts: PostgreSQL 15, temporal-server 1.32.1 with 4 history shards and SQL
 * visibility, the Web UI) in a temporary directory, on a block of ports in 17000-17999 (the dev
 * server tests use ephemeral ports, so the two never collide). Tests that use the shared test
 * helpers (test/support/temporal.ts, e.g. test/ops/audit.test.ts) run against it unchanged.
 * CLUSTER_KEEP=1 keeps the directory (logs, database) for a look after a failure.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLUSTER_PORT_COUNT, clusterPorts, freePortBlock, startCluster, type Cluster } from '../../src/devtools/cluster';
import { startTestServer, stopTestServer, NAMESPACE } from '../support/temporal';

/** Ports per test run: the cluster's, then the sandbox and the API processes. */
export const PORT_BLOCK = 20;

let cluster: Cluster | undefined;
let dir: string | undefined;
let base = 0;

export async function mochaGlobalSetup(): Promise<void> {
  base = await freePortBlock(PORT_BLOCK);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-cluster-'));
  const started = Date.now();
  cluster = await startCluster({
    dir,
    ports: clusterPorts(base),
    namespace: NAMESPACE,
    retentionDays: 1,
    ui: true,
    uiCodecEndpoint: 'http://127.0.0.1:3000/codec',
    uiCodecIncludeCredentials: true,
    temporalCliPath: process.env.TEMPORAL_CLI_PATH,
    pathVar: process.env.PATH,
  });
  console.log(
    `      cluster: ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${cluster.address} (UI ${cluster.uiUrl}, PostgreSQL ${cluster.postgres.port}, dir ${dir})`,
  );
  // Ctrl-C during a run: take the cluster down instead of leaving server and database running.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void mochaGlobalTeardown().finally(() => process.exit(130)));
  // The shared test helpers connect to TEMPORAL_TEST_ADDRESS instead of starting a dev server.
  process.env.TEMPORAL_TEST_ADDRESS = cluster.address;
  // The money ledger lives in the cluster's PostgreSQL, as production would keep it beside Temporal's (own schema per service).
  process.env.TEST_LEDGER_URL = `postgres://${cluster.postgres.user}@127.0.0.1:${cluster.postgres.port}/postgres`;
  await startTestServer();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopTestServer();
  await cluster?.stop();
  if (dir && !process.env.CLUSTER_KEEP) fs.rmSync(dir, { recursive: true, force: true });
}

export function testCluster(): Cluster {
  if (!cluster) throw new Error('cluster not started (is test/cluster/fixture.ts required by mocha?)');
  return cluster;
}

/** The n-th spare port of this run's block (after the cluster's own), for sandbox and API processes. */
export function sparePort(n: number): number {
  if (n < 0 || CLUSTER_PORT_COUNT + n >= PORT_BLOCK) throw new Error(`spare port ${n} outside the block`);
  return base + CLUSTER_PORT_COUNT + n;
}
