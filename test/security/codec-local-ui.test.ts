/**
 * Development only: the local Temporal UI decodes without a session (docs/security.md §2). Every
 * condition that confines this to programs on the developer's machine is tried from the outside:
 * a foreign Origin, no Origin, a relayed request (tunnel), a foreign Host (DNS rebinding), a peer
 * on another interface, production mode, and a UI that is not on loopback.
 */
import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { createApp } from '../../src/api';
import { ConfigError, loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/types';
import { createLogger } from '../../src/logger';
import { NAMESPACE, temporalAddress, testClient } from '../support/temporal';

const API_TOKEN = 'local-ui-token-0123456789abcdef0123456789abcdef';
const UI_ORIGIN = 'http://localhost:8233';
const secrets = {
  dialnexaWebhookSecret: 'test-dialnexa-secret-0123456789',
  slackSigningSecret: 'test-slack-signing-secret',
  apiToken: API_TOKEN,
  decisionKey: 'local-ui-test-decision-key-0123456789abcdef',
};
const PRODUCTION = {
  NODE_ENV: 'production',
  DIALNEXA_WEBHOOK_SECRET: secrets.dialnexaWebhookSecret,
  SLACK_SIGNING_SECRET: secrets.slackSigningSecret,
  API_TOKEN,
  CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  DECISION_SIGNING_KEY: 'd'.repeat(32),
  APPROVERS: 'U0FIN0001,U0FIN0002',
  SECOND_TIER_APPROVERS: 'U0CFO0001',
  SLACK_FINANCE_CHANNEL: 'C0FINANCE',
  LEDGER_DATABASE_URL: 'postgres://ledger.invalid:5432/billing',
  // A staging-style production: every system named as sandboxed (production refuses silent fallback).
  SANDBOX_SYSTEMS: 'all',
};
const b64 = (s: string) => Buffer.from(s).toString('base64');
const plain = { metadata: { encoding: b64('json/plain') }, data: b64('"local-ui-secret-value"') };

function config(extra: Record<string, string> = {}): Config {
  return loadConfig({ TEMPORAL_ADDRESS: temporalAddress(), LOG_LEVEL: 'silent', TEMPORAL_UI_URL: UI_ORIGIN, ...extra });
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP call: fetch may not set Host, and this one can choose the interface it connects to. */
function call(server: Server, path: string, headers: Record<string, string>, body: unknown, host = '127.0.0.1'): Promise<Reply> {
  const port = (server.address() as AddressInfo).port;
  const raw = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host,
        port,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-namespace': NAMESPACE,
          'content-length': String(Buffer.byteLength(raw)),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(raw);
  });
}

describe('codec endpoint: the local Temporal UI in development decodes without a session', () => {
  let client: Client;
  const servers: Server[] = [];
  let dev: Server;
  let sealed: unknown[];

  async function listen(cfg: Config, host = '127.0.0.1'): Promise<Server> {
    const app = createApp({ config: cfg, client, logger: createLogger({ level: 'silent' }), secrets });
    const s = await new Promise<Server>((resolve) => {
      const srv = app.listen(0, host, () => resolve(srv));
    });
    servers.push(s);
    return s;
  }
  const decode = (server: Server, headers: Record<string, string>, host?: string) =>
    call(server, '/codec/decode', headers, { payloads: sealed }, host);

  before(async () => {
    client = await testClient();
    dev = await listen(config());
    const enc = await call(dev, '/codec/encode', { authorization: `Bearer ${API_TOKEN}` }, { payloads: [plain] });
    assert.equal(enc.status, 200, enc.body);
    sealed = (JSON.parse(enc.body) as { payloads: unknown[] }).payloads;
    assert.ok(!JSON.stringify(sealed).includes(plain.data), 'the payload is sealed');
  });
  after(async () => {
    for (const s of servers) s.close();
    await client?.connection.close();
  });

  it('is on by default in development for a loopback UI, off in production and for a UI elsewhere', () => {
    assert.equal(config().security.codecAdmitsLocalUi, true);
    assert.equal(config({ CODEC_ADMIT_LOCAL_UI: 'false' }).security.codecAdmitsLocalUi, false);
    assert.equal(
      config({ NODE_ENV: 'test', APPROVERS: 'U1', SECOND_TIER_APPROVERS: 'U2', SLACK_FINANCE_CHANNEL: 'C1' }).security.codecAdmitsLocalUi,
      false,
    );
    assert.equal(config({ TEMPORAL_UI_URL: 'https://temporal.example.com' }).security.codecAdmitsLocalUi, false);
    assert.equal(config(PRODUCTION).security.codecAdmitsLocalUi, false);
    assert.throws(
      () => config({ ...PRODUCTION, CODEC_ADMIT_LOCAL_UI: 'true' }),
      (e: unknown) => e instanceof ConfigError && /CODEC_ADMIT_LOCAL_UI: development only/.test(e.message),
    );
  });

  it('decodes a call from the UI origin over loopback, under each loopback name of the UI', async () => {
    for (const origin of [UI_ORIGIN, 'http://127.0.0.1:8233', 'http://[::1]:8233']) {
      const res = await decode(dev, { origin });
      assert.equal(res.status, 200, `${origin}: ${res.body}`);
      assert.equal(res.headers['access-control-allow-origin'], origin);
      assert.deepEqual((JSON.parse(res.body) as { payloads: unknown[] }).payloads, [plain]);
    }
  });

  it('still refuses what is not the local UI in a browser on this machine', async () => {
    // Another site in the developer's browser: the CORS check answers 403 before auth.
    assert.equal((await decode(dev, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await decode(dev, { origin: 'http://localhost:9999' })).status, 403);
    // No Origin (curl, the CLI): the token is still needed.
    assert.equal((await decode(dev, {})).status, 401);
    // Relayed by a tunnel or proxy (ngrok connects from loopback too).
    for (const relay of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'cf-connecting-ip']) {
      assert.equal((await decode(dev, { origin: UI_ORIGIN, [relay]: '203.0.113.9' })).status, 401, relay);
    }
    // A page on another host name rebound to 127.0.0.1 sends its own Host.
    assert.equal((await decode(dev, { origin: UI_ORIGIN, host: 'rebind.evil.example:3000' })).status, 401);
    // A wrong bearer token is not made good by the origin.
    assert.equal((await decode(dev, { origin: UI_ORIGIN, authorization: 'Bearer wrong' })).status, 401);
  });

  it('refuses the UI origin from a peer that is not on loopback', async function () {
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    // Skipped only on a machine with no non-loopback IPv4 interface: then no peer off loopback can
    // be made here, and the loopback-only checks above still cover the rule.
    if (!external) this.skip();
    const wide = await listen(config(), '0.0.0.0');
    const res = await decode(wide, { origin: UI_ORIGIN, host: 'localhost:3000' }, external.address);
    assert.equal(res.status, 401, res.body);
    assert.equal((await decode(wide, { origin: UI_ORIGIN }, '127.0.0.1')).status, 200, 'the same server admits the loopback call');
  });

  it('production and an opted-out development keep the session: the UI origin alone gets 401', async () => {
    for (const cfg of [config(PRODUCTION), config({ CODEC_ADMIT_LOCAL_UI: 'false' })]) {
      const s = await listen(cfg);
      const res = await decode(s, { origin: UI_ORIGIN });
      assert.equal(res.status, 401, res.body);
      assert.ok(!res.body.includes(plain.data));
      assert.equal((await decode(s, { origin: UI_ORIGIN, authorization: `Bearer ${API_TOKEN}` })).status, 200, 'the token still works');
    }
  });
});
