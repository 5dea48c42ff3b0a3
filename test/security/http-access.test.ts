import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createApp } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/types';
import { createActivities } from '../../src/activities/index';
import { createLogger } from '../../src/logger';
import { CODEC_SESSION_COOKIE } from '../../src/security/codec-routes';
import { clientKey } from '../../src/security/rate-limit';
import { AccountIdKey, AmountMinorKey, CaseStatusKey, CaseTypeKey, CurrencyKey } from '../../src/temporal/search-attributes';
import type { CaseState } from '../../src/domain/case-state';
import type { CaseDetail, CaseSummary } from '../../src/cases/routes';
import { NAMESPACE, startTestWorker, temporalAddress, testClient, testDataConverter, uniqueTaskQueue } from '../support/temporal';
import { TEST_DECISION_KEY } from '../support/policy';

const API_TOKEN = 'sec-test-token-0123456789abcdef0123456789abcdef';
const UI_ORIGIN = 'http://localhost:8233';
const auth = { authorization: `Bearer ${API_TOKEN}` };
const secrets = {
  decisionKey: TEST_DECISION_KEY,
  dialnexaWebhookSecret: 'test-dialnexa-secret-0123456789',
  slackSigningSecret: 'test-slack-signing-secret',
  apiToken: API_TOKEN,
};

function testConfig(extra: Record<string, string> = {}): Config {
  return loadConfig({
    TEMPORAL_ADDRESS: temporalAddress(),
    LOG_LEVEL: 'silent',
    TEMPORAL_UI_URL: UI_ORIGIN,
    HTTP_BODY_LIMIT_BYTES: '4096',
    ...extra,
  });
}

async function listen(config: Config, client: Client): Promise<{ server: Server; baseUrl: string }> {
  const app = createApp({ config, client, logger: createLogger({ level: 'silent' }), secrets });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('API access control, headers and limits', () => {
  let client: Client;
  let server: Server;
  let baseUrl: string;

  before(async () => {
    client = await testClient();
    ({ server, baseUrl } = await listen(testConfig(), client));
  });
  after(async () => {
    server?.close();
    await client?.connection.close();
  });

  it('answers 401 with WWW-Authenticate on every protected endpoint without a valid token', async () => {
    const protectedCalls: [string, string][] = [
      ['GET', '/cases'],
      ['GET', `/cases/case-refund_request-${randomUUID()}`],
      ['POST', '/selftest'],
      ['GET', '/metrics'],
      ['GET', '/anything-added-later'],
      ['GET', '/CASES/'],
    ];
    for (const [method, path] of protectedCalls) {
      for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: `Basic ${API_TOKEN}` }] as Record<
        string,
        string
      >[]) {
        const res = await fetch(`${baseUrl}${path}`, { method, headers });
        assert.equal(res.status, 401, `${method} ${path} with ${JSON.stringify(headers)}`);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
        assert.equal(((await res.json()) as { error: string }).error, 'unauthorized');
      }
    }
    const ok = await fetch(`${baseUrl}/cases?limit=1`, { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
  });

  it('keeps health and the signed webhooks public (they never ask for the bearer token)', async () => {
    assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${baseUrl}/readyz`)).status, 200);
    for (const path of ['/webhooks/dialnexa', '/slack/interactions', '/slack/events']) {
      const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.headers.get('www-authenticate'), null, `${path} must be judged by its signature, not the API token`);
      assert.ok(res.status >= 400 && res.status < 500, `${path}: unsigned request is refused by the route itself (${res.status})`);
    }
  });

  it('sets security headers on every response; HSTS only in production', async () => {
    for (const res of [await fetch(`${baseUrl}/healthz`), await fetch(`${baseUrl}/cases`)]) {
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'.*frame-ancestors 'none'/);
      assert.equal(res.headers.get('x-powered-by'), null);
      assert.equal(res.headers.get('strict-transport-security'), null);
    }
    const prod = await listen(
      testConfig({
        NODE_ENV: 'production',
        API_TOKEN,
        CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
        DECISION_SIGNING_KEY: TEST_DECISION_KEY,
        SANDBOX_SYSTEMS: 'all',
        APPROVERS: 'U0FIN0001,U0FIN0002',
        SECOND_TIER_APPROVERS: 'U0CFO0001',
        SLACK_FINANCE_CHANNEL: 'C0FINANCE',
        LEDGER_DATABASE_URL: 'postgres://ledger.invalid:5432/billing',
        DIALNEXA_WEBHOOK_SECRET: secrets.dialnexaWebhookSecret,
        SLACK_SIGNING_SECRET: secrets.slackSigningSecret,
      }),
      client,
    );
    try {
      const res = await fetch(`${prod.baseUrl}/healthz`);
      assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
    } finally {
      prod.server.close();
    }
  });

  it('keys the rate limit by X-Forwarded-For only when HTTP_TRUST_PROXY says a proxy is in front', async () => {
    const post = (url: string, xff: string) =>
      fetch(`${url}/webhooks/dialnexa`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': xff },
        body: '{}',
      });
    const direct = await listen(testConfig({ RATE_LIMIT_BURST: '1', RATE_LIMIT_PER_MINUTE: '1' }), client);
    const proxied = await listen(testConfig({ RATE_LIMIT_BURST: '1', RATE_LIMIT_PER_MINUTE: '1', HTTP_TRUST_PROXY: '1' }), client);
    try {
      // A forged header must not buy a fresh bucket when nothing in front sets it.
      assert.deepEqual(
        [(await post(direct.baseUrl, '203.0.113.1')).status !== 429, (await post(direct.baseUrl, '203.0.113.2')).status],
        [true, 429],
      );
      const statuses = [
        await post(proxied.baseUrl, '203.0.113.1'),
        await post(proxied.baseUrl, '203.0.113.2'),
        await post(proxied.baseUrl, '203.0.113.1'),
      ].map((r) => r.status === 429);
      assert.deepEqual(statuses, [false, false, true]);
    } finally {
      direct.server.close();
      proxied.server.close();
    }
  });

  it('keys IPv6 clients by their /64: rotating through one /64 gets no fresh bucket (issue 22)', async () => {
    const post = (url: string, xff: string) =>
      fetch(`${url}/webhooks/dialnexa`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': xff },
        body: '{}',
      });
    const proxied = await listen(testConfig({ RATE_LIMIT_BURST: '2', RATE_LIMIT_PER_MINUTE: '1', HTTP_TRUST_PROXY: '1' }), client);
    try {
      // One subscriber's /64, a new address every request (what privacy addresses and a script do).
      const rotating = ['2001:db8:1:2::1', '2001:db8:1:2:aaaa::7', '2001:0db8:0001:0002:ffff:ffff:ffff:fffe', '2001:db8:1:2:1:2:3:4'];
      const statuses: number[] = [];
      for (const ip of rotating) statuses.push((await post(proxied.baseUrl, ip)).status);
      assert.deepEqual(
        statuses.map((s) => s === 429),
        [false, false, true, true],
        'one bucket for the whole /64',
      );
      // Another /64 (a neighbour) and an IPv4 client keep their own buckets.
      assert.notEqual((await post(proxied.baseUrl, '2001:db8:1:3::1')).status, 429);
      assert.notEqual((await post(proxied.baseUrl, '198.51.100.7')).status, 429);
    } finally {
      proxied.server.close();
    }
    assert.equal(clientKey('2001:db8:1:2:dead:beef:0:1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(clientKey('203.0.113.9'), '203.0.113.9');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });

  it('refuses a body above HTTP_BODY_LIMIT_BYTES with 413 before any route reads it', async () => {
    const res = await fetch(`${baseUrl}/webhooks/dialnexa`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: 'a'.repeat(5000) }),
    });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: string }).error, 'payload_too_large');
  });

  it('rate-limits the public endpoints per client: 429 with Retry-After once the burst is spent', async () => {
    const limited = await listen(testConfig({ RATE_LIMIT_BURST: '3', RATE_LIMIT_PER_MINUTE: '6' }), client);
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${limited.baseUrl}/webhooks/dialnexa`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers.get('retry-after');
      }
      assert.deepEqual(
        statuses.map((s) => s === 429),
        [false, false, false, true, true],
      );
      assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 10, `Retry-After ${retryAfter}: one request per 10 s refills`);
      assert.equal((await fetch(`${limited.baseUrl}/healthz`)).status, 200, 'health is not rate limited');
      console.log(`      statuses: ${statuses.join(',')}, Retry-After: ${retryAfter}s`);
    } finally {
      limited.server.close();
    }
  });
});

describe('codec endpoint for the Temporal Web UI', () => {
  let client: Client;
  let server: Server;
  let baseUrl: string;
  let encrypted: { metadata: Record<string, string>; data: string };
  const nonce = `codec-${randomUUID()}`;

  before(async () => {
    client = await testClient();
    // The session path; the development-only admission of the local UI is tested below.
    ({ server, baseUrl } = await listen(testConfig({ CODEC_ADMIT_LOCAL_UI: 'false' }), client));
    // A real encrypted payload, as the UI would find it in a history.
    const worker = await startTestWorker(createActivities({ workerIdentity: 'codec-test' }));
    try {
      const workflowId = `selftest-${randomUUID()}`;
      await client.workflow.execute('selfTest', { taskQueue: worker.taskQueue, workflowId, args: [{ nonce }] });
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const p = history.events?.[0].workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      assert.ok(p?.data && p.metadata);
      encrypted = {
        metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        data: Buffer.from(p.data).toString('base64'),
      };
      assert.equal(Buffer.from(encrypted.metadata.encoding, 'base64').toString(), 'binary/encrypted');
    } finally {
      await worker.stop();
    }
  });
  after(async () => {
    server?.close();
    await client?.connection.close();
  });

  const decode = (headers: Record<string, string>, body: unknown = { payloads: [encrypted] }) =>
    fetch(`${baseUrl}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': NAMESPACE, ...headers },
      body: JSON.stringify(body),
    });

  it('refuses to decode without credentials', async () => {
    const res = await decode({});
    assert.equal(res.status, 401);
    const bad = await decode({ authorization: 'Bearer not-the-token' });
    assert.equal(bad.status, 401);
  });

  it("refuses any Origin but the UI's, preflight included", async () => {
    const pre = await fetch(`${baseUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    assert.equal(pre.status, 403);
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    const post = await decode({ ...auth, origin: 'http://localhost:9999' });
    assert.equal(post.status, 403);
    assert.equal(post.headers.get('access-control-allow-origin'), null);
  });

  it("answers the UI origin's preflight with credentials allowed", async () => {
    const pre = await fetch(`${baseUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /X-Namespace/i);
  });

  it('decodes a history payload with the bearer token (Temporal remote codec protocol)', async () => {
    const res = await decode({ ...auth, origin: UI_ORIGIN });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), UI_ORIGIN);
    const body = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    assert.equal(Buffer.from(body.payloads[0].metadata.encoding, 'base64').toString(), 'json/plain');
    assert.deepEqual(JSON.parse(Buffer.from(body.payloads[0].data, 'base64').toString()), { nonce });
  });

  it('round-trips encode then decode, refuses another namespace and malformed bodies', async () => {
    const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hello"').toString('base64') };
    const enc = await fetch(`${baseUrl}/codec/encode`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [plain] }),
    });
    assert.equal(enc.status, 200);
    const sealed = ((await enc.json()) as { payloads: unknown[] }).payloads;
    assert.equal(
      Buffer.from((sealed[0] as { metadata: Record<string, string> }).metadata.encoding, 'base64').toString(),
      'binary/encrypted',
    );
    const dec = await decode(auth, { payloads: sealed });
    assert.deepEqual(((await dec.json()) as { payloads: unknown[] }).payloads, [plain]);

    assert.equal((await decode({ ...auth, 'x-namespace': 'someone-else' })).status, 403);
    const bad = await decode(auth, { payloads: [{ data: 'not base64!' }] });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /base64/);
  });

  it('lets a browser in through a session cookie started with the API token (what the UI sends with "include credentials")', async () => {
    const page = await fetch(`${baseUrl}/codec/session`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<form method="post"/);

    const wrong = await fetch(`${baseUrl}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=nope',
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);

    const login = await fetch(`${baseUrl}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${API_TOKEN}`,
    });
    assert.equal(login.status, 200);
    const cookie = login.headers.get('set-cookie') ?? '';
    assert.match(cookie, new RegExp(`^${CODEC_SESSION_COOKIE}=`));
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /Path=\/codec/);
    assert.match(cookie, /SameSite=Strict/i);
    const session = cookie.split(';')[0];

    const res = await decode({ cookie: session, origin: UI_ORIGIN });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    // A forged or altered cookie is worthless; and the cookie opens only /codec, not the API.
    assert.equal((await decode({ cookie: `${session.slice(0, -2)}xx`, origin: UI_ORIGIN })).status, 401);
    assert.equal((await fetch(`${baseUrl}/cases`, { headers: { cookie: session } })).status, 401);
    // A login form posted from another site is refused.
    const csrf = await fetch(`${baseUrl}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: `token=${API_TOKEN}`,
    });
    assert.equal(csrf.status, 403);
    const crossSite = await fetch(`${baseUrl}/codec/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: `token=${API_TOKEN}`,
    });
    assert.equal(crossSite.status, 403);
  });
});

describe('case status and listing', () => {
  let client: Client;
  let server: Server;
  let baseUrl: string;
  let worker: Worker;
  let running: Promise<void>;
  let connection: NativeConnection;
  const taskQueue = uniqueTaskQueue('case-status');
  const account = `ACC-${randomUUID().slice(0, 8)}`;
  const workflowId = `case-refund_request-call-${randomUUID()}`;
  const state: CaseState = {
    caseType: 'refund_request',
    callId: 'call-123',
    status: 'awaiting_approval',
    decisions: [],
    handoff: { request: 'Refund the duplicate charge', status: 'awaiting_approval', urgency: 'normal' },
    records: [],
  };

  before(async () => {
    client = await testClient();
    ({ server, baseUrl } = await listen(testConfig(), client));
    const noop = () => undefined;
    const bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/case-status-workflows'),
      logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error },
    });
    connection = await NativeConnection.connect({ address: temporalAddress() });
    worker = await Worker.create({
      connection,
      namespace: NAMESPACE,
      taskQueue,
      workflowBundle: bundle,
      dataConverter: testDataConverter(),
    });
    running = worker.run();
    await client.workflow.start('caseStatusProbe', {
      taskQueue,
      workflowId,
      args: [state],
      typedSearchAttributes: [
        { key: CaseTypeKey, value: 'refund_request' },
        { key: CaseStatusKey, value: 'awaiting_approval' },
        { key: AccountIdKey, value: account },
        { key: AmountMinorKey, value: 12345 },
        { key: CurrencyKey, value: 'USD' },
      ],
    });
  });
  after(async () => {
    await client?.workflow
      .getHandle(workflowId)
      .signal('finish')
      .catch(() => undefined);
    server?.close();
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await connection?.close();
    await client?.connection.close();
  });

  it("GET /cases/:workflowId returns the case's typed state from statusQuery", async () => {
    const res = await fetch(`${baseUrl}/cases/${workflowId}`, { headers: auth });
    assert.equal(res.status, 200);
    const body = (await res.json()) as CaseDetail;
    assert.deepEqual(body.state, state);
    assert.equal(body.executionStatus, 'RUNNING');
    assert.equal(body.caseStatus, 'awaiting_approval');
    assert.equal(body.amountMinor, 12345);
  });

  it('GET /cases/:workflowId: 400 for a non-case id, 404 for an unknown case', async () => {
    const notCase = await fetch(`${baseUrl}/cases/selftest-123`, { headers: auth });
    assert.equal(notCase.status, 400);
    assert.match(((await notCase.json()) as { message: string }).message, /case-<caseType>-<callId>/);
    assert.equal((await fetch(`${baseUrl}/cases/case-refund_request-nope-${randomUUID()}`, { headers: auth })).status, 404);
  });

  it('GET /cases filters by status, type and account through the search attributes', async () => {
    const list = async (q: string) => {
      const res = await fetch(`${baseUrl}/cases?${q}`, { headers: auth });
      assert.equal(res.status, 200, q);
      return ((await res.json()) as { cases: CaseSummary[] }).cases;
    };
    // Visibility is eventually consistent: wait for the new case to be indexed.
    let found: CaseSummary[] = [];
    for (let i = 0; i < 40 && found.length === 0; i++) {
      found = await list(`type=refund_request&status=awaiting_approval&account=${account}`);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(found.length, 1);
    assert.equal(found[0].workflowId, workflowId);
    assert.equal(found[0].accountId, account);
    assert.equal(found[0].currency, 'USD');
    assert.deepEqual(await list(`status=completed&account=${account}`), []);
    assert.deepEqual(await list(`type=collections&account=${account}`), []);
  });

  it('GET /cases rejects unknown filters and values with a clear 400', async () => {
    for (const [q, expected] of [
      ['status=bogus', /status/],
      ['type=wire_fraud', /type/],
      ['account=a"%20OR%20"1', /account/],
      ['limit=5000', /limit/],
      ['sort=desc', /sort|unrecognized/i],
    ] as const) {
      const res = await fetch(`${baseUrl}/cases?${q}`, { headers: auth });
      assert.equal(res.status, 400, q);
      const body = (await res.json()) as { error: string; message: string };
      assert.equal(body.error, 'invalid_query');
      assert.match(body.message, expected);
    }
  });
});
