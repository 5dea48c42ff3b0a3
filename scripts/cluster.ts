/**
 * `npm run cluster`: the project's own production-shaped Temporal cluster (src/devtools/cluster.ts)
 * in the foreground: PostgreSQL 15, temporal-server on it, the Web UI; Ctrl-C stops all of it.
 * Data stays in the directory (default .data/cluster) for the next start.
 *
 *   npm run cluster                          # frontend 127.0.0.1:17233, UI http://127.0.0.1:17242
 *   npm run cluster -- --base 7300 --dir /var/tmp/temporal-cluster
 *   npm run cluster -- --build-only          # build/find the binaries and exit (CI warm-up)
 *
 * Point the service at it with TEMPORAL_ADDRESS=127.0.0.1:<frontend>.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load';
import { PROJECT_ROOT } from '../src/devtools/temporal-cli';
import { ensureClusterTools } from '../src/devtools/cluster-tools';
import { clusterPorts, startCluster } from '../src/devtools/cluster';

const { values } = parseArgs({
  options: {
    base: { type: 'string', default: '17232' },
    dir: { type: 'string', default: path.join(PROJECT_ROOT, '.data', 'cluster') },
    namespace: { type: 'string' },
    'no-ui': { type: 'boolean', default: false },
    'build-only': { type: 'boolean', default: false },
  },
});

async function main(): Promise<void> {
  const config = loadConfig();
  const log = (l: string) => console.error(l);
  const tools = ensureClusterTools({ pathVar: config.pathVar, log });
  if (values['build-only']) {
    console.error(
      `cluster: tools ready:\n  ${Object.entries(tools)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n  ')}`,
    );
    return;
  }
  const base = Number(values.base);
  if (!Number.isInteger(base) || base < 1024 || base > 65_000)
    throw new Error(`--base must be a port number (1024-65000), got ${values.base}`);
  const started = Date.now();
  const cluster = await startCluster({
    dir: values.dir,
    ports: clusterPorts(base),
    namespace: values.namespace ?? config.temporal.namespace,
    retentionDays: config.temporal.dev.retentionDays,
    ui: !values['no-ui'],
    uiCodecEndpoint: `${config.http.publicBaseUrl}/codec`,
    uiCodecIncludeCredentials: true,
    uiCorsOrigins: config.http.publicBaseUrl,
    tools,
    temporalCliPath: config.temporal.dev.cliPath,
    pathVar: config.pathVar,
    log,
  });
  console.error(
    [
      `cluster: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      `  Temporal frontend  ${cluster.address}  (namespace ${cluster.namespace}; TEMPORAL_ADDRESS=${cluster.address})`,
      cluster.uiUrl ? `  Web UI             ${cluster.uiUrl}` : undefined,
      `  PostgreSQL         127.0.0.1:${cluster.postgres.port} user ${cluster.postgres.user} (databases temporal, temporal_visibility)`,
      `  data and logs      ${cluster.dir}`,
      'Ctrl-C stops everything.',
    ]
      .filter(Boolean)
      .join('\n'),
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.error('cluster: stopping...');
    void cluster.stop().then(() => {
      console.error('cluster: stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`cluster: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
