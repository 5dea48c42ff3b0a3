/**
 * The real Temporal Web UI (the CLI dev server's, started with --ui-codec-endpoint as `npm start`
 * does) decrypts payloads through this service's codec endpoint in a real browser, and only after
 * the user started a codec session.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../src/api';
import { loadConfig } from '../../src/config';
import { createActivities } from '../../src/activities';
import { createLogger } from '../../src/logger';
import { ensureTemporalCli } from '../../src/temporal/cli';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { createCaseWorker } from '../../src/worker';
import { NAMESPACE, testDataConverter, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { TEST_DECISION_KEY } from '../support/policy';

const API_TOKEN = 'ui-test-token-0123456789abcdef0123456789abcdef';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('Temporal Web UI decrypts history through the codec endpoint', function () {
  this.timeout(180_000);
  let dev: DevServer;
  let client: Client;
  let server: Server;
  let browser: Browser;
  let stopWorker: () => Promise<void>;
  let apiBase: string;
  let uiBase: string;
  const marker = `UI-MARKER-${randomUUID()}`;
  const workflowId = `selftest-${randomUUID()}`;

  before(async () => {
    const [apiPort, uiPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
    apiBase = `http://localhost:${apiPort}`;
    uiBase = `http://localhost:${uiPort}`;
    const cliPath = ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVar: process.env.PATH });
    dev = await startDevServer({ cliPath, port: grpcPort, uiPort, namespace: NAMESPACE, retentionDays: 1, uiCodecEndpoint: `${apiBase}/codec`, startTimeoutMs: 90_000 });

    client = new Client({ connection: await Connection.connect({ address: dev.address }), namespace: NAMESPACE, dataConverter: testDataConverter() });
    const config = loadConfig({ TEMPORAL_ADDRESS: dev.address, LOG_LEVEL: 'silent', TEMPORAL_UI_URL: uiBase, HTTP_PORT: String(apiPort) });
    const app = createApp({ config, client, logger: createLogger({ level: 'silent' }), secrets: { decisionKey: TEST_DECISION_KEY, dialnexaWebhookSecret: 'x'.repeat(32), slackSigningSecret: 'y'.repeat(32), apiToken: API_TOKEN } });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(apiPort, '127.0.0.1', () => resolve(s));
    });
    assert.equal((server.address() as AddressInfo).port, apiPort);

    const taskQueue = uniqueTaskQueue('ui-codec');
    const connection = await NativeConnection.connect({ address: dev.address });
    const worker = await createCaseWorker({
      connection,
      namespace: NAMESPACE,
      taskQueue,
      activities: createActivities({ workerIdentity: 'ui-codec-worker' }),
      workflowBundle: await workflowBundle(),
      dataConverter: testDataConverter(),
      shutdownGraceMs: 1000,
    });
    const running = worker.run();
    stopWorker = async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    };
    await client.workflow.execute('selfTest', { taskQueue, workflowId, args: [{ nonce: marker }] });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    server?.close();
    await stopWorker?.();
    await client?.connection.close();
    await dev?.stop();
  });

  /** Opens the workflow's page with the UI's codec setting "include cross-origin credentials" on. */
  async function openWorkflow(page: Page): Promise<string> {
    await page.goto(uiBase);
    await page.evaluate((endpoint) => {
      // Runs in the browser; the project's TypeScript lib has no DOM types.
      const { localStorage } = globalThis as unknown as { localStorage: { setItem(key: string, value: string): void } };
      localStorage.setItem('endpoint', JSON.stringify(endpoint));
      localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
      localStorage.setItem('includeCredentials', 'true');
    }, `${apiBase}/codec`);
    await page.goto(`${uiBase}/namespaces/${NAMESPACE}/workflows/${workflowId}`);
    await page.getByText(workflowId).first().waitFor({ timeout: 30_000 });
    // The UI polls, so there is no network idle: give it time to call the codec and render the input.
    await page.waitForTimeout(3000);
    return page.content();
  }

  it('shows ciphertext without a codec session, and the decrypted input with one', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const decodeStatuses: number[] = [];
      page.on('response', (r) => {
        if (r.url().startsWith(`${apiBase}/codec/decode`)) decodeStatuses.push(r.status());
      });

      const before = await openWorkflow(page);
      assert.ok(!before.includes(marker), 'no session: the UI must not be able to show the plaintext');
      assert.ok(decodeStatuses.includes(401), `the UI asked the codec and was refused (statuses ${decodeStatuses.join(',')})`);

      // The user starts a codec session on the service with the API token.
      await page.goto(`${apiBase}/codec/session`);
      await page.fill('input[name=token]', API_TOKEN);
      await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
      assert.match(await page.content(), /Session started/);

      decodeStatuses.length = 0;
      await openWorkflow(page);
      await page.getByText(marker).first().waitFor({ timeout: 30_000 });
      assert.ok(decodeStatuses.includes(200), `decode calls: ${decodeStatuses.join(',')}`);
      console.log(`      UI decode calls after login: ${decodeStatuses.length} (statuses ${[...new Set(decodeStatuses)].join(',')})`);
    } finally {
      await context.close();
    }
  });
});
