/**
 * The Temporal server settings the project relies on: the dynamic config its dev servers start
 * with is the one docker-compose gives its server, and search attributes exist from the first
 * request on a new database (what lets the bench turn off the CLI's forced search-attribute
 * refresh).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { DEV_SERVER_DYNAMIC_CONFIG, freePort, startDevServer, type DevServer } from '../../src/devtools/dev-server';
import { CaseStatusKey, WaitingOnKey } from '../../src/temporal/search-attributes';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('Temporal server settings', function () {
  it('docker-compose mounts the dynamic config file, and it holds the dev servers’ values', () => {
    const compose = read('docker-compose.yml');
    const temporal = compose.slice(compose.indexOf('\n  temporal:'), compose.indexOf('\n  temporal-ui:'));
    const mount = /- \.\/deploy\/temporal\/dynamicconfig\.yaml:\/etc\/temporal\/(config\/dynamicconfig\/[\w.-]+\.yaml):ro/.exec(temporal);
    assert.ok(mount, 'the temporal service mounts deploy/temporal/dynamicconfig.yaml');
    assert.ok(temporal.includes(`DYNAMIC_CONFIG_FILE_PATH: ${mount[1]}`), 'DYNAMIC_CONFIG_FILE_PATH names the mounted file');
    const yaml = read('deploy/temporal/dynamicconfig.yaml');
    for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) {
      const m = new RegExp(`^${key.replace(/\./g, '\\.')}:\\n\\s+- value: (.+)$`, 'm').exec(yaml);
      assert.ok(m, `${key} is set in deploy/temporal/dynamicconfig.yaml`);
      assert.equal(m[1].trim(), JSON.stringify(value), key);
    }
  });

  describe('a new dev server without the forced search-attribute refresh', function () {
    this.timeout(120_000);
    let server: DevServer | undefined;
    let connection: Connection | undefined;

    before(async () => {
      const cliPath = ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVar: process.env.PATH });
      server = await startDevServer({
        cliPath,
        port: await freePort(),
        namespace: 'billing-sa-check',
        retentionDays: 1,
        startTimeoutMs: 90_000,
        dynamicConfig: { 'system.forceSearchAttributesCacheRefreshOnRead': false },
      });
      connection = await Connection.connect({ address: server.address });
    });
    after(async () => {
      await connection?.close();
      await server?.stop();
    });

    it('accepts the case search attributes on its first start request', async () => {
      // Added through the API after start-up, the mapping would be refused here ("no mapping
      // defined for search attribute") until the namespace cache refreshes.
      const client = new Client({ connection, namespace: 'billing-sa-check' });
      const handle = await client.workflow.start('notPolled', {
        taskQueue: 'nobody-polls-this',
        workflowId: 'sa-first-start',
        typedSearchAttributes: [
          { key: CaseStatusKey, value: 'received' },
          { key: WaitingOnKey, value: ['finance'] },
        ],
      });
      const described = await handle.describe();
      assert.equal(described.typedSearchAttributes.get(CaseStatusKey), 'received');
      await handle.terminate('test done');
    });
  });
});
