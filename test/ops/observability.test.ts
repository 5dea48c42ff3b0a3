import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createApp } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { createLogger, type Logger } from '../../src/logger';
import { createServiceMetrics } from '../../src/observability/metrics';
import { PinoTemporalLogger, assertMetricsAddressFree } from '../../src/observability/temporal-runtime';
import { CASE_EVENTS_METRIC } from '../../src/workflows/case-metrics';
import { NAMESPACE, runtimeMetricsUrl, temporalAddress, testClient, testDataConverter, uniqueTaskQueue } from '../support/temporal';
import { TEST_DECISION_KEY } from '../support/policy';

const API_TOKEN = 'test-api-token-ops-0123456789abcdef0123';
const secrets = {
  decisionKey: TEST_DECISION_KEY,
  dialnexaWebhookSecret: 'test-dialnexa-secret-0123456789',
  slackSigningSecret: 'test-slack-signing-secret',
  apiToken: API_TOKEN,
};
const auth = { authorization: `Bearer ${API_TOKEN}` };

/** A logger whose JSON lines the test can read. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

async function listen(app: ReturnType<typeof createApp>): Promise<{ server: Server; baseUrl: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Sum of one Prometheus series' samples whose labels include all of `labels`. */
function sampleValue(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('operator observability: /metrics, request ids, logs, health', () => {
  let client: Client;
  let server: Server;
  let baseUrl: string;
  let captured: ReturnType<typeof capturingLogger>;

  before(async () => {
    client = await testClient();
    captured = capturingLogger();
    const config = loadConfig({ TEMPORAL_ADDRESS: temporalAddress(), LOG_LEVEL: 'silent' });
    const metrics = createServiceMetrics({ runtimeMetricsUrl: runtimeMetricsUrl(), defaultMetrics: false });
    ({ server, baseUrl } = await listen(createApp({ config, client, logger: captured.logger, secrets, metrics })));
  });

  after(async () => {
    server?.close();
    await client?.connection.close();
  });

  it('counts HTTP requests by route template and status, with a latency histogram', async () => {
    await fetch(`${baseUrl}/healthz`);
    await fetch(`${baseUrl}/healthz`);
    await fetch(`${baseUrl}/no/such/${randomUUID()}`);
    const res = await fetch(`${baseUrl}/metrics`, { headers: auth });
    assert.equal(res.status, 200);
    // Metrics are internal: without the API token, 401 (Prometheus sends it as a bearer credential).
    assert.equal((await fetch(`${baseUrl}/metrics`)).status, 401);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.equal(sampleValue(text, 'http_requests_total', { method: 'GET', route: '/healthz', status: '200' }), 2);
    // Unknown paths share one label value: a scanner cannot create a series per path.
    assert.equal(sampleValue(text, 'http_requests_total', { route: 'unmatched' }), 1);
    assert.doesNotMatch(text, /no\/such/);
    assert.equal(sampleValue(text, 'http_request_duration_seconds_count', { route: '/healthz', status: '200' }), 2);
  });

  it("shows per-case-type counters moving when workflows record case events, next to the SDK's own metrics", async () => {
    const taskQueue = uniqueTaskQueue('case-metrics');
    const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/case-metrics-workflows'), logger: quietLogger });
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const worker = await Worker.create({
      connection,
      namespace: NAMESPACE,
      taskQueue,
      workflowBundle: bundle,
      dataConverter: testDataConverter(),
    });
    const labels = (event: string) => ({ case_type: 'refund_request', event, taskQueue });
    const read = async () => await (await fetch(`${baseUrl}/metrics`, { headers: auth })).text();
    try {
      await worker.runUntil(async () => {
        const before = await read();
        assert.equal(sampleValue(before, CASE_EVENTS_METRIC, labels('started')), 0);
        await client.workflow.execute('caseMetricsProbe', {
          taskQueue,
          workflowId: `metrics-${randomUUID()}`,
          args: ['refund_request', ['started', 'decided', 'completed']],
        });
        await client.workflow.execute('caseMetricsProbe', {
          taskQueue,
          workflowId: `metrics-${randomUUID()}`,
          args: ['refund_request', ['started', 'expired']],
        });
        await client.workflow.execute('caseMetricsProbe', {
          taskQueue,
          workflowId: `metrics-${randomUUID()}`,
          args: ['charge_dispute', ['started', 'failed']],
        });
        // The core exporter publishes asynchronously; poll briefly.
        let after = '';
        for (let i = 0; i < 50; i++) {
          after = await read();
          if (
            sampleValue(after, CASE_EVENTS_METRIC, { event: 'failed', taskQueue }) >= 1 &&
            sampleValue(after, 'temporal_workflow_completed', { task_queue: taskQueue }) >= 3
          )
            break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(sampleValue(after, CASE_EVENTS_METRIC, labels('started')), 2);
        assert.equal(sampleValue(after, CASE_EVENTS_METRIC, labels('decided')), 1);
        assert.equal(sampleValue(after, CASE_EVENTS_METRIC, labels('completed')), 1);
        assert.equal(sampleValue(after, CASE_EVENTS_METRIC, labels('expired')), 1);
        assert.equal(sampleValue(after, CASE_EVENTS_METRIC, labels('failed')), 0);
        assert.equal(sampleValue(after, CASE_EVENTS_METRIC, { case_type: 'charge_dispute', event: 'failed', taskQueue }), 1);
        // The Temporal SDK's runtime metrics arrive on the same endpoint.
        // (core labels are snake_case; the workflow meter's own tags are camelCase)
        assert.equal(sampleValue(after, 'temporal_workflow_completed', { task_queue: taskQueue }), 3);
      });
    } finally {
      await connection.close();
    }
  });

  it('counts an event once even when the worker replays the workflow from history', async () => {
    const taskQueue = uniqueTaskQueue('case-metrics-replay');
    const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/case-metrics-workflows'), logger: quietLogger });
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    // No workflow cache: every workflow task replays the history from the start.
    const worker = await Worker.create({
      connection,
      namespace: NAMESPACE,
      taskQueue,
      workflowBundle: bundle,
      dataConverter: testDataConverter(),
      maxCachedWorkflows: 0,
    });
    try {
      await worker.runUntil(async () => {
        await client.workflow.execute('caseMetricsAcrossTasks', {
          taskQueue,
          workflowId: `metrics-replay-${randomUUID()}`,
          args: ['collections'],
        });
        let text = '';
        for (let i = 0; i < 50; i++) {
          text = await (await fetch(`${baseUrl}/metrics`, { headers: auth })).text();
          if (sampleValue(text, CASE_EVENTS_METRIC, { event: 'completed', taskQueue }) >= 1) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(sampleValue(text, CASE_EVENTS_METRIC, { case_type: 'collections', event: 'completed', taskQueue }), 1);
        assert.equal(sampleValue(text, CASE_EVENTS_METRIC, { case_type: 'collections', event: 'started', taskQueue }), 1);
      });
    } finally {
      await connection.close();
    }
  });

  it('returns a request id, keeps a well-formed incoming one, and puts it on every log line of the request', async () => {
    const fresh = await fetch(`${baseUrl}/healthz`);
    assert.match(fresh.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);

    const kept = await fetch(`${baseUrl}/nope`, { headers: { 'X-Request-Id': 'edge-42.abc' } });
    assert.equal(kept.headers.get('x-request-id'), 'edge-42.abc');
    const line = captured.lines.find((l) => l.reqId === 'edge-42.abc' && l.msg === 'request completed');
    assert.ok(line, 'access log line carries the incoming request id');
    assert.equal(line.route, 'unmatched');
    assert.equal(line.status, kept.status);

    // Header injection or huge values are replaced, not echoed.
    const bad = await fetch(`${baseUrl}/healthz`, { headers: { 'X-Request-Id': 'x'.repeat(300) } });
    assert.notEqual(bad.headers.get('x-request-id'), 'x'.repeat(300));
  });

  it('answers /healthz always and /readyz 503 when Temporal is unreachable', async () => {
    assert.equal((await fetch(`${baseUrl}/readyz`)).status, 200);
    const deadClient = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' }), namespace: NAMESPACE });
    const config = loadConfig({ TEMPORAL_ADDRESS: '127.0.0.1:1', LOG_LEVEL: 'silent' });
    const dead = await listen(createApp({ config, client: deadClient, logger: createLogger({ level: 'silent' }), secrets }));
    try {
      assert.equal((await fetch(`${dead.baseUrl}/healthz`)).status, 200);
      const res = await fetch(`${dead.baseUrl}/readyz`);
      assert.equal(res.status, 503);
      const body = (await res.json()) as { status: string; temporal: string; sandboxed?: string[] };
      assert.deepEqual({ status: body.status, temporal: body.temporal }, { status: 'not_ready', temporal: 'unreachable' });
    } finally {
      dead.server.close();
      await deadClient.connection.close();
    }
  });
});

describe('logs', () => {
  it('redacts personal data at any depth a case input puts it', () => {
    const { logger, lines } = capturingLogger();
    logger.info(
      { input: { fields: { customerEmail: 'pat@example.com', customerPhone: '+15550100', accountId: 'ACME-001' } }, email: 'a@b.c' },
      'case started',
    );
    const text = JSON.stringify(lines);
    assert.doesNotMatch(text, /pat@example\.com|\+15550100|a@b\.c/);
    assert.match(text, /ACME-001/);
  });

  it("routes the Temporal SDK's log calls into pino with their metadata", () => {
    const { logger, lines } = capturingLogger();
    const adapter = new PinoTemporalLogger(logger.child({ component: 'temporal' }));
    adapter.warn('Activity failed', { workflowId: 'wf-1', sdkComponent: 'activity', taskToken: 'CiQwMWEy-secret-capability' });
    adapter.log('DEBUG', 'debug line');
    assert.equal(lines.length, 2);
    assert.deepEqual(
      { level: lines[0].level, msg: lines[0].msg, component: lines[0].component, workflowId: lines[0].workflowId },
      { level: 40, msg: 'Activity failed', component: 'temporal', workflowId: 'wf-1' },
    );
    assert.equal(lines[1].level, 20);
    // A task token would let anyone reading the logs complete the activity.
    assert.equal(lines[0].taskToken, '[redacted]');
  });

  it('rejects a malformed TEMPORAL_METRICS_BIND_ADDRESS with a clear error, and accepts off', () => {
    assert.throws(
      () => loadConfig({ TEMPORAL_METRICS_BIND_ADDRESS: 'http://localhost:9464' }),
      /TEMPORAL_METRICS_BIND_ADDRESS: expected host:port/,
    );
    assert.equal(loadConfig({ TEMPORAL_METRICS_BIND_ADDRESS: 'off' }).worker.metricsBindAddress, undefined);
    assert.equal(loadConfig({}).worker.metricsBindAddress, '127.0.0.1:9464');
  });
});

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m) };

describe('runtime metrics address', () => {
  it('says which variable to change when the metrics port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const { port } = blocker.address() as AddressInfo;
    try {
      await assert.rejects(
        assertMetricsAddressFree(`127.0.0.1:${port}`),
        /TEMPORAL_METRICS_BIND_ADDRESS 127\.0\.0\.1:\d+ is already in use/,
      );
    } finally {
      blocker.close();
    }
    await assertMetricsAddressFree(`127.0.0.1:${port}`);
  });
});
