/**
 * The real Temporal Web UI (the CLI dev server's, started with --ui-codec-endpoint as `npm start`
 * does) decrypts payloads through this service's codec endpoint in a real browser:
 *  - in development (the embedded default), at once: a fresh browser opens the case's
 *    temporalUiUrl and sees the decrypted input, no "Codec Server could not connect" banner;
 *  - in production, only after the user started a codec session (and ticked "include credentials").
 * Screenshots go to test-artifacts/temporal-ui/.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/types';
import { temporalUiUrl } from '../../src/temporal/workflow-ids';
import { CODEC_SESSION_COOKIE } from '../../src/security/codec-routes';
import { createActivities } from '../../src/activities/index';
import { createLogger } from '../../src/logger';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { freePort, startDevServer, type DevServer } from '../../src/devtools/dev-server';
import { createCaseWorker } from '../../src/worker';
import { NAMESPACE, testDataConverter, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { TEST_DECISION_KEY } from '../support/policy';

const API_TOKEN = 'ui-test-token-0123456789abcdef0123456789abcdef';
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'temporal-ui');
/** The UI's message when a codec call fails (Temporal UI 2.42, `codec-server-error`). */
const CODEC_ERROR = 'Codec Server could not connect';
const PRODUCTION = {
  NODE_ENV: 'production',
  DIALNEXA_WEBHOOK_SECRET: 'x'.repeat(32),
  SLACK_SIGNING_SECRET: 'y'.repeat(32),
  API_TOKEN,
  CODEC_KEYS: `k1:${Buffer.alloc(32, 3).toString('base64')}`,
  DECISION_SIGNING_KEY: 'd'.repeat(32),
  APPROVERS: 'U0FIN0001,U0FIN0002',
  SECOND_TIER_APPROVERS: 'U0CFO0001',
  SLACK_FINANCE_CHANNEL: 'C0FINANCE',
  LEDGER_DATABASE_URL: 'postgres://ledger.invalid:5432/billing',
  // A staging-style production: every system named as sandboxed (production refuses silent fallback).
  SANDBOX_SYSTEMS: 'all',
};
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('Temporal Web UI decrypts history through the codec endpoint', function () {
  this.timeout(180_000);
  let dev: DevServer;
  let client: Client;
  let server: Server;
  let browser: Browser;
  let stopWorker: () => Promise<void>;
  let apiBase: string;
  let apiPort: number;
  let uiBase: string;
  const marker = `UI-MARKER-${randomUUID()}`;
  const workflowId = `selftest-${randomUUID()}`;

  before(async () => {
    const [uiPort, grpcPort] = [await freePort(), await freePort()];
    apiPort = await freePort();
    apiBase = `http://localhost:${apiPort}`;
    uiBase = `http://localhost:${uiPort}`;
    const cliPath = ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVar: process.env.PATH });
    dev = await startDevServer({
      cliPath,
      port: grpcPort,
      uiPort,
      namespace: NAMESPACE,
      retentionDays: 1,
      uiCodecEndpoint: `${apiBase}/codec`,
      startTimeoutMs: 90_000,
    });

    client = new Client({
      connection: await Connection.connect({ address: dev.address }),
      namespace: NAMESPACE,
      dataConverter: testDataConverter(),
    });
    server = await serveApi({});
    fs.mkdirSync(ARTIFACTS, { recursive: true });

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

  /** The API on the port the dev-server UI was given as its codec endpoint, in the mode `env` says. */
  async function serveApi(env: Record<string, string>): Promise<Server> {
    const config: Config = loadConfig({
      TEMPORAL_ADDRESS: dev.address,
      LOG_LEVEL: 'silent',
      TEMPORAL_UI_URL: uiBase,
      HTTP_PORT: String(apiPort),
      ...env,
    });
    const app = createApp({
      config,
      client,
      logger: createLogger({ level: 'silent' }),
      secrets: {
        decisionKey: TEST_DECISION_KEY,
        dialnexaWebhookSecret: 'x'.repeat(32),
        slackSigningSecret: 'y'.repeat(32),
        apiToken: API_TOKEN,
      },
    });
    const s = await new Promise<Server>((resolve) => {
      const srv = app.listen(apiPort, '127.0.0.1', () => resolve(srv));
    });
    assert.equal((s.address() as AddressInfo).port, apiPort);
    return s;
  }

  after(async () => {
    await browser?.close();
    server?.close();
    await stopWorker?.();
    await client?.connection.close();
    await dev?.stop();
  });

  /** Records the status of every codec call the page makes. */
  function watchDecodes(page: Page): number[] {
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().startsWith(`${apiBase}/codec/decode`)) statuses.push(r.status());
    });
    return statuses;
  }

  /** Waits for the workflow page; the UI polls, so there is no network idle: give it time to call the codec. */
  async function settle(page: Page): Promise<string> {
    await page.getByText(workflowId).first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(3000);
    return page.content();
  }

  it('development: a fresh browser opens the case link decrypted, with no codec error and no set-up', async () => {
    // A new context: no cookie, no localStorage, nothing configured in the UI. Only the link.
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const decodes = watchDecodes(page);
      await page.goto(temporalUiUrl(uiBase, NAMESPACE, workflowId));
      await settle(page);
      await page.getByText(marker).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(ARTIFACTS, 'development-decrypted.png'), fullPage: true });
      assert.equal(await page.getByText(CODEC_ERROR).count(), 0, 'no "Codec Server could not connect" banner');
      assert.ok(
        decodes.length > 0 && decodes.every((s) => s === 200),
        `the UI called the codec and every call succeeded (statuses ${decodes.join(',')})`,
      );
      // (The UI sets its own _csrf cookie; ours would be codec_session.)
      assert.deepEqual(
        (await context.cookies()).filter((c) => c.name === CODEC_SESSION_COOKIE),
        [],
        'no codec session was started',
      );
      console.log(`      UI decode calls without a session (development): ${decodes.length}, all 200`);
    } finally {
      await context.close();
    }
  });

  it('production: ciphertext and a refused codec without a session, the decrypted input with one', async () => {
    await new Promise((r) => server.close(r));
    server = await serveApi(PRODUCTION);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const decodes = watchDecodes(page);
      await page.goto(temporalUiUrl(uiBase, NAMESPACE, workflowId));
      const before = await settle(page);
      await page.screenshot({ path: path.join(ARTIFACTS, 'production-no-session.png'), fullPage: true });
      assert.ok(!before.includes(marker), 'no session: the UI must not be able to show the plaintext');
      assert.ok(decodes.includes(401), `the UI asked the codec and was refused (statuses ${decodes.join(',')})`);
      assert.ok((await page.getByText(CODEC_ERROR).count()) > 0, 'the UI says the codec refused it (the check above is not blind)');

      // The user starts a codec session on the service with the API token, and turns on the UI's
      // "include cross-origin credentials" (stored by the UI in localStorage).
      await page.goto(`${apiBase}/codec/session`);
      await page.fill('input[name=token]', API_TOKEN);
      await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
      assert.match(await page.content(), /Session started/);
      await page.goto(uiBase);
      await page.evaluate((endpoint) => {
        // Runs in the browser; the project's TypeScript lib has no DOM types.
        const { localStorage } = globalThis as unknown as { localStorage: { setItem(key: string, value: string): void } };
        localStorage.setItem('endpoint', JSON.stringify(endpoint));
        localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
        localStorage.setItem('includeCredentials', 'true');
      }, `${apiBase}/codec`);

      decodes.length = 0;
      await page.goto(temporalUiUrl(uiBase, NAMESPACE, workflowId));
      await settle(page);
      await page.getByText(marker).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(ARTIFACTS, 'production-session.png'), fullPage: true });
      assert.ok(decodes.includes(200), `decode calls: ${decodes.join(',')}`);
      console.log(`      UI decode calls after login (production): ${decodes.length} (statuses ${[...new Set(decodes)].join(',')})`);
    } finally {
      await context.close();
    }
  });
});
