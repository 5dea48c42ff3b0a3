/**
 * Issue 15 item 5: production never falls back to the sandbox on its own. A system without its
 * credential refuses start-up by name; SANDBOX_SYSTEMS is the only way to sandbox a system in
 * production (staging), and the banner and /readyz say which systems are sandboxed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { CONNECTOR_SYSTEMS } from '../../src/config/credentials';
import { ConfigError, loadConfig } from '../../src/config/load';
import { createApp } from '../../src/api';
import { createLogger } from '../../src/logger';
import { freePort } from '../../src/devtools/dev-server';
import { temporalAddress } from '../support/temporal';

const ROOT = path.resolve(__dirname, '..', '..');

/** What production needs besides connector credentials. */
const PROD_BASE = {
  NODE_ENV: 'production',
  DIALNEXA_WEBHOOK_SECRET: 'w'.repeat(32),
  SLACK_SIGNING_SECRET: 's'.repeat(32),
  API_TOKEN: 'a'.repeat(40),
  CODEC_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  DECISION_SIGNING_KEY: 'd'.repeat(40),
  APPROVERS: 'U1PROD0001,U1PROD0002',
  SECOND_TIER_APPROVERS: 'U1PROD0009',
  SLACK_FINANCE_CHANNEL: 'C1PRODFIN',
  // Required in production since the money ledger (never connected to by these tests).
  LEDGER_DATABASE_URL: 'postgres://ledger.invalid:5432/billing',
};

const serviceAccount = JSON.stringify({
  type: 'service_account',
  client_email: 'billing-bot@example-project.iam.gserviceaccount.com',
  private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});

/** Every system's production credential. */
const ALL_CREDENTIALS = {
  SKYFIRE_BUYER_API_KEY: 'sf-key',
  QBO_CLIENT_ID: 'qbo-client',
  QBO_CLIENT_SECRET: 'qbo-secret',
  QBO_REFRESH_TOKEN: 'qbo-refresh',
  HUBSPOT_ACCESS_TOKEN: 'hs-token',
  GOOGLE_SERVICE_ACCOUNT_KEY: serviceAccount,
  SLACK_BOT_TOKEN: 'xoxb-1',
  ZENDESK_EMAIL: 'agent@example.com',
  ZENDESK_API_TOKEN: 'zd-token',
};

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('loadConfig accepted the configuration');
}

describe('no silent sandbox in production', () => {
  it('refuses start-up naming every system without a credential', () => {
    const msg = configError(PROD_BASE);
    for (const system of CONNECTOR_SYSTEMS) assert.match(msg, new RegExp(`^  - ${system}: no credential`, 'm'), `${system} is named`);
  });

  it('names only the missing one when the others are set', () => {
    const { HUBSPOT_ACCESS_TOKEN: _omit, ...rest } = ALL_CREDENTIALS;
    const msg = configError({ ...PROD_BASE, ...rest });
    assert.match(msg, /hubspot: no credential \(set HUBSPOT_ACCESS_TOKEN\)/);
    assert.doesNotMatch(msg, /quickbooks|gmail|drive|skyfire|slack|zendesk/);
  });

  it('refuses a static QuickBooks access token in production (it expires after an hour)', () => {
    const { QBO_CLIENT_ID: _a, QBO_CLIENT_SECRET: _b, QBO_REFRESH_TOKEN: _c, ...rest } = ALL_CREDENTIALS;
    assert.match(configError({ ...PROD_BASE, ...rest, QBO_ACCESS_TOKEN: 'static' }), /QBO_ACCESS_TOKEN: a static access token expires/);
  });

  it('refuses an unknown name in SANDBOX_SYSTEMS', () => {
    assert.match(
      configError({ ...PROD_BASE, ...ALL_CREDENTIALS, SANDBOX_SYSTEMS: 'quickbooks,stripe' }),
      /SANDBOX_SYSTEMS: unknown system stripe/,
    );
  });

  it('with every credential, nothing is sandboxed and QuickBooks and Google use refreshing OAuth', () => {
    const c = loadConfig({ ...PROD_BASE, ...ALL_CREDENTIALS });
    assert.deepEqual(c.sandbox.systems, []);
    assert.equal(c.connectors.quickbooks.oauth?.kind, 'intuit');
    assert.equal(c.connectors.gmail.oauth?.kind, 'google-service-account');
    assert.equal(c.connectors.drive.oauth?.kind, 'google-service-account');
    assert.ok(!c.connectors.quickbooks.baseUrl.includes('127.0.0.1'));
  });

  it('sandboxes exactly the systems SANDBOX_SYSTEMS names, even when a credential is set', () => {
    const { HUBSPOT_ACCESS_TOKEN: _omit, ...rest } = ALL_CREDENTIALS;
    const c = loadConfig({ ...PROD_BASE, ...rest, SANDBOX_SYSTEMS: 'hubspot, quickbooks' });
    assert.deepEqual(c.sandbox.systems, ['quickbooks', 'hubspot']);
    assert.equal(c.connectors.quickbooks.sandbox, true);
    assert.equal(c.connectors.quickbooks.oauth, undefined);
    assert.equal(c.connectors.gmail.sandbox, false);
    assert.deepEqual(loadConfig({ ...PROD_BASE, SANDBOX_SYSTEMS: 'all' }).sandbox.systems, CONNECTOR_SYSTEMS);
  });

  it('development keeps using the sandbox for systems without credentials', () => {
    const c = loadConfig({ NODE_ENV: 'development', HUBSPOT_ACCESS_TOKEN: 'hs' });
    assert.deepEqual(
      c.sandbox.systems,
      CONNECTOR_SYSTEMS.filter((s) => s !== 'hubspot'),
    );
    assert.equal(c.connectors.hubspot.sandbox, false);
  });

  it('refuses start-up without APPROVERS, SECOND_TIER_APPROVERS and SLACK_FINANCE_CHANNEL, naming each (no sandbox people in production)', () => {
    const { APPROVERS: _a, SECOND_TIER_APPROVERS: _b, SLACK_FINANCE_CHANNEL: _c, ...withoutPeople } = PROD_BASE;
    const msg = configError({ ...withoutPeople, ...ALL_CREDENTIALS });
    for (const name of ['APPROVERS', 'SECOND_TIER_APPROVERS', 'SLACK_FINANCE_CHANNEL'])
      assert.match(msg, new RegExp(`^  - ${name}: required outside development`, 'm'), `${name} is named`);
    assert.doesNotMatch(msg, /U0FIN0001|U0CFO0001|C0FINANCE/);
    // The same outside production: `test` (a staging-like run) gets no demo people either.
    assert.match(configError({ NODE_ENV: 'test' }), /APPROVERS: required outside development/);
    // With them set, production uses exactly those.
    const c = loadConfig({ ...PROD_BASE, ...ALL_CREDENTIALS });
    assert.deepEqual(c.moneyPolicy.approvers, ['U1PROD0001', 'U1PROD0002']);
    assert.deepEqual(c.moneyPolicy.secondTierApprovers, ['U1PROD0009']);
    assert.equal(c.moneyPolicy.financeChannel, 'C1PRODFIN');
    // Development keeps the sandbox's people.
    assert.deepEqual(loadConfig({ NODE_ENV: 'development' }).moneyPolicy.approvers, ['U0FIN0001', 'U0FIN0002']);
  });

  it('the Docker image runs production by default (its last stage sets NODE_ENV=production)', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM /m);
    assert.match(stages[stages.length - 1], /^ENV NODE_ENV=production$/m);
  });

  it('the port watch sees a sandbox that listens while its process runs (the check below can fail)', async function () {
    this.timeout(60_000);
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'sandbox', 'main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SANDBOX_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const watch = watchPortWhileRunning(child, port);
    // Stop it once seen (it would run forever): the watch then reports what it saw while it ran.
    const seen = await waitFor(() => watch.seen, 45_000);
    child.kill('SIGTERM');
    await watch.done;
    assert.ok(seen, 'the sandbox was seen listening while its process ran');
  });

  it('main.ts exits before starting anything (no sandbox listening while it runs) and names the missing credentials', async function () {
    this.timeout(60_000);
    const sandboxPort = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...PROD_BASE,
        SANDBOX_PORT: String(sandboxPort),
        DATA_DIR: path.join(ROOT, '.data', `nosandbox-${process.pid}`),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // Watched from spawn to exit: a sandbox that listened at any moment of the run is seen (a check
    // after exit could not fail, since the sandbox dies with its process).
    const watch = watchPortWhileRunning(child, sandboxPort);
    const code = await watch.done;
    assert.equal(code, 2, out);
    assert.match(out, /quickbooks: no credential/);
    assert.match(out, /gmail: no credential/);
    assert.ok(watch.probes > 0, 'the port was probed while the process ran');
    assert.equal(watch.seen, false, 'no sandbox listened while the process ran');
    assert.doesNotMatch(out, /sandbox started|Sandbox listening/i);
  });

  it('/readyz reports which systems are sandboxed', async () => {
    const { ZENDESK_API_TOKEN: _a, ZENDESK_EMAIL: _b, ...rest } = ALL_CREDENTIALS;
    const config = loadConfig({
      ...PROD_BASE,
      ...rest,
      SANDBOX_SYSTEMS: 'zendesk',
      TEMPORAL_ADDRESS: temporalAddress(),
      LOG_LEVEL: 'silent',
    });
    const connection = await Connection.connect({ address: temporalAddress() });
    const client = new Client({ connection });
    const server = createApp({
      config,
      client,
      logger: createLogger({ level: 'silent' }),
      secrets: {
        dialnexaWebhookSecret: PROD_BASE.DIALNEXA_WEBHOOK_SECRET,
        slackSigningSecret: PROD_BASE.SLACK_SIGNING_SECRET,
        apiToken: PROD_BASE.API_TOKEN,
        decisionKey: PROD_BASE.DECISION_SIGNING_KEY,
      },
    }).listen(0);
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`);
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as { sandboxed: string[] }).sandboxed, ['zendesk']);
    } finally {
      server.close();
      await connection.close();
    }
  });
});

/**
 * Probes `port` on 127.0.0.1 over and over from now until `child` exits. `seen` turns true the
 * first time something accepts a connection; `done` resolves with the exit code.
 */
function watchPortWhileRunning(child: ChildProcess, port: number): { seen: boolean; probes: number; done: Promise<number | null> } {
  const state = { seen: false, probes: 0, done: undefined as unknown as Promise<number | null> };
  let exited = false;
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => ((exited = true), resolve(code))));
  const probe = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
  const loop = (async () => {
    while (!exited) {
      state.probes++;
      if (await probe()) state.seen = true;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  state.done = Promise.all([exit, loop]).then(([code]) => code);
  return state;
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
