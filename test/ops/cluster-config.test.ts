/**
 * docker-compose.yml and the project's own cluster (src/devtools/cluster.ts) run the same Temporal:
 * the same server, admin-tools and UI releases, the same server env file and dynamic config, the
 * same schema and namespace scripts, the same PostgreSQL major version, and the namespace script
 * registers exactly the search attributes the code uses. A change on one side fails here.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load';
import { POSTGRES_MAJOR, readServerEnv, TEMPORAL_SERVER_VERSION, UI_SERVER_VERSION } from '../../src/devtools/cluster-tools';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const compose = read('docker-compose.yml');

/** The block of one top-level service in docker-compose.yml. */
function service(name: string): string {
  const start = compose.indexOf(`\n  ${name}:\n`);
  assert.ok(start >= 0, `docker-compose.yml has a ${name} service`);
  const rest = compose.slice(start + 1);
  const next = rest.slice(1).search(/\n {2}[\w-]+:\n|\n\S/);
  return next < 0 ? rest : rest.slice(0, next + 1);
}
const image = (block: string) => /\n\s+image: (\S+)/.exec(block)?.[1];
const envValue = (block: string, key: string) => new RegExp(`\\n\\s+${key}: ("?)([^"\\n]*)\\1\\n`).exec(block)?.[2];

describe('docker-compose.yml and the project cluster share their Temporal', () => {
  it('runs the server, admin-tools and UI releases the cluster builds, on the same PostgreSQL major', () => {
    const v = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    assert.equal(image(service('temporal')), `temporalio/server:${v}`);
    assert.equal(image(service('temporal-schema')), `temporalio/admin-tools:${v}`);
    assert.equal(image(service('temporal-namespace')), `temporalio/admin-tools:${v}`);
    assert.equal(image(service('temporal-ui')), `temporalio/ui:${UI_SERVER_VERSION.replace(/^v/, '')}`);
    assert.equal(image(service('postgresql')), `postgres:${POSTGRES_MAJOR}`);
    assert.ok(!/temporalio\/auto-setup/.test(compose), 'no auto-setup image: its schema steps are not ours');
  });

  it('configures the server from deploy/temporal/server.env and the shared dynamic config', () => {
    const temporal = service('temporal');
    assert.match(temporal, /\n\s+env_file: \.\/deploy\/temporal\/server\.env\n/);
    const mount = /- \.\/deploy\/temporal\/dynamicconfig\.yaml:\/etc\/temporal\/(config\/dynamicconfig\/[\w.-]+\.yaml):ro/.exec(temporal);
    assert.ok(mount, 'the dynamic config file is mounted');
    assert.equal(envValue(temporal, 'DYNAMIC_CONFIG_FILE_PATH'), mount[1]);
    // Compose adds only where things are; every setting the cluster gets from server.env stays there.
    const shared = readServerEnv();
    for (const key of Object.keys(shared))
      assert.equal(envValue(temporal, key), undefined, `${key} is set in server.env, not overridden in docker-compose.yml`);
    assert.equal(shared.DB, 'postgres12');
    assert.equal(shared.NUM_HISTORY_SHARDS, '4');
  });

  it('creates the schema and the namespace with the scripts the cluster runs', () => {
    const schema = service('temporal-schema');
    assert.match(schema, /- \.\/deploy\/temporal\/setup-schema\.sh:\/etc\/temporal\/setup-schema\.sh:ro/);
    assert.match(schema, /entrypoint: \["sh", "\/etc\/temporal\/setup-schema\.sh"\]/);
    assert.match(schema, /\n\s+env_file: \.\/deploy\/temporal\/server\.env\n/, 'database names come from server.env');
    const ns = service('temporal-namespace');
    assert.match(ns, /- \.\/deploy\/temporal\/setup-namespace\.sh:\/etc\/temporal\/setup-namespace\.sh:ro/);
    assert.match(ns, /entrypoint: \["sh", "\/etc\/temporal\/setup-namespace\.sh"\]/);
    assert.equal(envValue(ns, 'RETENTION'), '720h', '30 days of history for audit');
    const cluster = read('src/devtools/cluster.ts');
    assert.match(cluster, /runScript\(\s*'setup-schema\.sh'/);
    assert.match(cluster, /runScript\(\s*'setup-namespace\.sh'/);
    // The server waits for its schema, the service for its namespace.
    assert.match(service('temporal'), /temporal-schema:\n\s+condition: service_completed_successfully/);
    for (const svc of ['worker', 'api'])
      assert.match(service(svc), /temporal-namespace:\n\s+condition: service_completed_successfully/, svc);
  });

  it('registers exactly the search attributes of src/temporal/search-attributes.ts', () => {
    const script = read('deploy/temporal/setup-namespace.sh');
    const listed = [...script.matchAll(/^attribute (\w+) (\w+)$/gm)].map((m) => `${m[1]}=${(m[2] as string).toLowerCase()}`);
    const expected = ALL_SEARCH_ATTRIBUTES.map((k) => `${k.name}=${k.type.replace(/_/g, '').toLowerCase()}`);
    assert.deepEqual(listed.sort(), expected.sort());
  });

  it('reads server.env the way docker compose does: plain KEY=VALUE, anything else refused', () => {
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'server-env-')), 'bad.env');
    fs.writeFileSync(tmp, 'DB=postgres12\nDBNAME="temporal"\n');
    assert.throws(() => readServerEnv(tmp), /bad\.env:2: expected KEY=VALUE without quotes/);
    fs.writeFileSync(tmp, '# comment\n\nA=1\n');
    assert.deepEqual(readServerEnv(tmp), { A: '1' });
  });

  it('versions workers only with both WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID', () => {
    assert.equal(loadConfig({}).worker.deployment, undefined, 'unversioned by default');
    assert.deepEqual(loadConfig({ WORKER_DEPLOYMENT_NAME: 'billing-handoffs', WORKER_BUILD_ID: 'abc123' }).worker.deployment, {
      name: 'billing-handoffs',
      buildId: 'abc123',
    });
    assert.throws(
      () => loadConfig({ WORKER_DEPLOYMENT_NAME: 'billing-handoffs' }),
      (err: unknown) => err instanceof ConfigError && /set both/.test(err.message),
    );
    assert.throws(() => loadConfig({ WORKER_BUILD_ID: 'abc' }), ConfigError);
    assert.throws(() => loadConfig({ WORKER_DEPLOYMENT_NAME: 'a b', WORKER_BUILD_ID: 'x' }), /letters, digits/);
  });
});
