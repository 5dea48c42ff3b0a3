/**
 * Traces (docs/production.md, Traces): cases posted through the signed webhook of the real API,
 * run by a real worker with the real activities against the sandbox, on the run's dev server,
 * with tracing installed over an in-memory exporter (behind the same allowlist as OTLP). Checked:
 * one trace per case, from the webhook's span through StartWorkflow, RunWorkflow, the activities
 * and the connectors' HTTP calls, as one connected tree; another case is another trace; no span
 * carries a fixture's email, phone, name or account id; a traced case replays. And without
 * OTEL_EXPORTER_OTLP_ENDPOINT nothing is installed; with it, spans arrive over OTLP/HTTP.
 */
import { newTestLedger } from '../support/ledger';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { trace, SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createApp } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { caseActivities, createCaseWorker } from '../../src/worker';
import { installTracing, TRACING_OFF, SAFE_ATTRIBUTES, type Tracing } from '../../src/observability/tracing';
import { urlTemplate } from '../../src/connectors/spans';
import { TRACE_HEADER as WORKFLOW_TRACE_HEADER } from '../../src/workflows/tracing';
import type { CaseState } from '../../src/domain/case-state';
import type { CallFixture } from '../../scripts/call-fixture';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { FIXTURES, postFixture } from '../support/signed-cases';
import { startCollector } from '../support/otlp-collector';
import { NAMESPACE, temporalAddress, testDataConverter, uniqueTaskQueue, workflowBundle } from '../support/temporal';

const WEBHOOK_SECRET = 'tracing-test-dialnexa-secret-0123456789';
const DECISION_KEY = 'tracing-test-decision-key-0123456789abcdef';

/** The refund inside policy of export.test.ts: Skyfire pay token, then the RefundReceipt; no approval. */
const AUTOMATED_REFUND = {
  account_id: 'UMBRELLA-004',
  invoice_number: 'INV-4002',
  payment_id: '3005',
  amount: '25.00',
  customer_email: 'accounts@umbrella.example',
  payment_platform: 'skyfire',
};

/** The personal values of the fixtures used here (emails, phones, names and their parts, account ids). */
function fixturePersonalValues(names: string[]): string[] {
  const found = new Set<string>([AUTOMATED_REFUND.customer_email, AUTOMATED_REFUND.account_id]);
  const walk = (v: unknown, key = '') => {
    if (typeof v === 'string' && /email|phone|name|_number|account_id/i.test(key) && !/invoice/i.test(key) && v.length >= 4) {
      found.add(v);
      if (/name/i.test(key)) for (const part of v.split(/\s+/)) if (part.length >= 4) found.add(part);
    } else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  for (const n of names) walk((JSON.parse(fs.readFileSync(path.join(FIXTURES, `${n}.json`), 'utf8')) as CallFixture).payload.call);
  return [...found];
}

/** Every value a span exports as text (objects as JSON): name, attribute values, events, status. */
function exportedStrings(s: ReadableSpan): string[] {
  const text = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
  return [
    s.name,
    ...Object.values(s.attributes).map(text),
    ...s.events.flatMap((e) => [e.name, ...Object.values(e.attributes ?? {}).map(text)]),
    s.status.message ?? '',
  ];
}

const attr = (s: ReadableSpan, key: string) => s.attributes[key];
const workflowIdOf = (s: ReadableSpan) => attr(s, 'temporalWorkflowId') ?? attr(s, 'workflowId');

describe('traces: webhook -> workflow start -> workflow -> activities -> connector HTTP calls', function () {
  this.timeout(120_000);
  const memory = new InMemorySpanExporter();
  let tracing: Tracing;
  let sb: TestSandbox;
  let client: Client;
  let server: Server;
  let baseUrl: string;
  let stopWorker: () => Promise<void>;
  const ids: Record<string, string> = {};

  before(async () => {
    tracing = installTracing({ tracing: {} }, { defaultServiceName: 'billing-test', exporter: memory });
    sb = await startSandbox();
    const taskQueue = uniqueTaskQueue('tracing');
    const config = loadConfig({
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'silent',
      SANDBOX_URL: sb.url,
    });
    client = new Client({
      connection: await Connection.connect({ address: temporalAddress() }),
      namespace: NAMESPACE,
      dataConverter: testDataConverter(),
      interceptors: { workflow: tracing.clientInterceptors },
    });
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const worker = await createCaseWorker({
      connection,
      namespace: NAMESPACE,
      taskQueue,
      activities: caseActivities(config, {
        connection,
        dataConverter: testDataConverter(),
        identity: 'tracing-worker',
        connectors: sb.clients,
        decisionKey: DECISION_KEY,
        ledger: newTestLedger(),
      }),
      workflowBundle: await workflowBundle(),
      dataConverter: testDataConverter(),
      shutdownGraceMs: 1000,
      tracing,
    });
    const running = worker.run();
    stopWorker = async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    };
    const app = createApp({
      config,
      client,
      logger: createLogger({ level: 'silent' }),
      secrets: { dialnexaWebhookSecret: WEBHOOK_SECRET, slackSigningSecret: 'tracing-test-slack-secret', decisionKey: DECISION_KEY },
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    ids.refund = await postFixture(baseUrl, WEBHOOK_SECRET, 'refund_request', AUTOMATED_REFUND);
    ids.resend = await postFixture(baseUrl, WEBHOOK_SECRET, 'invoice_resend');
    for (const id of Object.values(ids)) assert.equal(((await client.workflow.getHandle(id).result()) as CaseState).status, 'completed');
    // Workflow spans leave the isolate through a sink after the last workflow task: wait for them.
    const until = Date.now() + 10_000;
    const ran = () => memory.getFinishedSpans().filter((s) => s.name.startsWith('RunWorkflow:')).length;
    while (ran() < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  });

  after(async () => {
    await new Promise((r) => server?.close(r));
    await stopWorker?.();
    await client?.connection.close();
    await sb?.close();
    await tracing?.shutdown();
  });

  /** The spans of the trace whose StartWorkflow started `workflowId`. */
  function traceOf(workflowId: string): ReadableSpan[] {
    const spans = memory.getFinishedSpans();
    const start = spans.find((s) => s.name.startsWith('StartWorkflow:') && attr(s, 'temporalWorkflowId') === workflowId);
    assert.ok(start, `a StartWorkflow span for ${workflowId}`);
    return spans.filter((s) => s.spanContext().traceId === start.spanContext().traceId);
  }

  it('follows one case in one trace: webhook, StartWorkflow, RunWorkflow, activities and connector calls, as one tree', () => {
    const spans = traceOf(ids.refund);
    const names = spans.map((s) => s.name);
    const [root, ...rest] = [
      spans.find((s) => s.name === 'POST /webhooks/dialnexa')!,
      ...spans.filter((s) => s.name !== 'POST /webhooks/dialnexa'),
    ];
    assert.ok(root, `the webhook's span is in the trace: ${names.join(', ')}`);
    assert.equal(root.kind, SpanKind.SERVER);
    assert.equal(root.parentSpanId, undefined, 'the webhook span is the root');
    assert.deepEqual(
      [attr(root, 'http.route'), attr(root, 'http.response.status_code'), attr(root, 'billing.case_count')],
      ['/webhooks/dialnexa', 202, 1],
    );
    for (const name of [
      'StartWorkflow:refundRequest',
      'RunWorkflow:refundRequest',
      'StartActivity:createPayToken',
      'RunActivity:createPayToken',
    ])
      assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
    // Every span hangs off another span of this trace: nothing was cut loose on the way.
    const spanIds = new Set(spans.map((s) => s.spanContext().spanId));
    for (const s of rest) assert.ok(s.parentSpanId && spanIds.has(s.parentSpanId), `${s.name} has its parent in the trace`);

    // Connector calls: client spans under activity spans, one per HTTP call, with a route template.
    const clients = spans.filter((s) => s.kind === SpanKind.CLIENT);
    const systems = new Set(clients.map((s) => attr(s, 'billing.system')));
    for (const system of ['skyfire', 'quickbooks']) assert.ok(systems.has(system), `a ${system} call in ${[...systems].join(', ')}`);
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    for (const c of clients) {
      assert.match(byId.get(c.parentSpanId!)!.name, /^RunActivity:/, `${c.name} runs inside an activity`);
      assert.equal(typeof attr(c, 'http.response.status_code'), 'number', `${c.name} has a status`);
      assert.equal(attr(c, 'server.address'), '127.0.0.1');
      assert.ok(!String(attr(c, 'url.template')).includes('?'), `${c.name}: no query string`);
    }
    const receipt = clients.find((c) => c.name === 'POST /quickbooks/v3/company/{id}/refundreceipt');
    assert.ok(receipt, `the RefundReceipt write: ${clients.map((c) => c.name).join(', ')}`);
    // Workflow and activity spans name the case, and only this case.
    assert.deepEqual([...new Set(spans.map(workflowIdOf).filter(Boolean))], [ids.refund]);
  });

  it('gives another case another trace', () => {
    const refund = traceOf(ids.refund);
    const resend = traceOf(ids.resend);
    assert.notEqual(refund[0].spanContext().traceId, resend[0].spanContext().traceId);
    assert.ok(resend.some((s) => s.name === 'RunWorkflow:invoiceResend'));
    assert.ok(
      resend.some((s) => s.name === 'POST /quickbooks/v3/company/{id}/invoice/{id}/send'),
      'the resend is a client span',
    );
    const systems = new Set(resend.filter((s) => s.kind === SpanKind.CLIENT).map((s) => attr(s, 'billing.system')));
    for (const system of ['quickbooks', 'hubspot', 'zendesk', 'drive']) assert.ok(systems.has(system), `a ${system} call`);
    assert.ok(!resend.some((s) => workflowIdOf(s) === ids.refund));
  });

  it('puts no personal data in any span: no fixture email, phone, name or account id; only allowlisted attributes', () => {
    const personal = fixturePersonalValues(['refund_request', 'invoice_resend']);
    assert.ok(personal.includes('billing@acme.example') && personal.includes('+14155550134') && personal.includes('Priya Raman'));
    const spans = memory.getFinishedSpans();
    assert.ok(spans.length > 20, `spans were exported (${spans.length})`);
    const leaks = spans.flatMap((s) =>
      exportedStrings(s)
        .filter((v) => personal.some((p) => v.toLowerCase().includes(p.toLowerCase())))
        .map((v) => `${s.name}: ${v}`),
    );
    assert.deepEqual(leaks, []);
    const keys = new Set(spans.flatMap((s) => Object.keys(s.attributes)));
    assert.deepEqual(
      [...keys].filter((k) => !SAFE_ATTRIBUTES.has(k)),
      [],
    );
    assert.ok(!keys.has('memo') && !keys.has('searchAttributes'), 'the sink does not copy WorkflowInfo onto workflow spans');
  });

  it('replays a traced case from its history (the tracing interceptors are deterministic)', async () => {
    const history = await client.workflow.getHandle(ids.refund).fetchHistory();
    const started = history.events?.[0].workflowExecutionStartedEventAttributes;
    // The SDK's client interceptor wrote the trace context under the header name our workflow code
    // reads to decide a case is traced (src/workflows/tracing.ts TRACE_HEADER).
    assert.ok(started?.header?.fields?.[WORKFLOW_TRACE_HEADER], "the start carried the trace context under the SDK's trace header");
    await Worker.runReplayHistory(
      {
        workflowBundle: await workflowBundle(),
        dataConverter: testDataConverter(),
        sinks: tracing.workflowSinks,
        replayName: 'traced-case',
      },
      history,
      ids.refund,
    );
  });
});

describe('traces: configuration', () => {
  it('installs nothing without OTEL_EXPORTER_OTLP_ENDPOINT: no exporter, no interceptor, the API stays no-op', () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    assert.equal(config.tracing.otlpEndpoint, undefined);
    const t = installTracing(config, { defaultServiceName: 'billing-test' });
    assert.equal(t, TRACING_OFF);
    assert.equal(t.enabled, false);
    assert.deepEqual([t.clientInterceptors.length, t.activityInterceptors.length], [0, 0]);
    const span = trace.getTracer('probe').startSpan('probe');
    assert.equal(span.isRecording(), false, 'no tracer provider is registered');
    span.end();
  });

  it('exports over OTLP/HTTP to <endpoint>/v1/traces when OTEL_EXPORTER_OTLP_ENDPOINT is set, with OTEL_SERVICE_NAME', async () => {
    const collector = await startCollector();
    const { received, endpoint } = collector;
    try {
      const config = loadConfig({ LOG_LEVEL: 'silent', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'billing-probe' });
      const t = installTracing(config, { defaultServiceName: 'billing-test' });
      assert.equal(t.enabled, true);
      assert.equal(t.clientInterceptors.length, 1);
      const span = trace
        .getTracer('probe')
        .startSpan('probe-span', { attributes: { 'url.template': '/x/{id}', 'customer.email': 'a@b.example' } });
      span.end();
      await t.shutdown(); // flushes the batch
      assert.equal(received.length, 1);
      assert.equal(received[0].path, '/v1/traces');
      assert.match(received[0].body, /probe-span/);
      assert.match(received[0].body, /billing-probe/);
      assert.match(received[0].body, /url\.template/);
      assert.doesNotMatch(received[0].body, /a@b\.example|customer\.email/, 'attributes outside the allowlist are dropped');
    } finally {
      collector.close();
    }
  });

  it('turns connector paths into route templates', () => {
    assert.equal(urlTemplate('/quickbooks/v3/company/9130350000000001/invoice/145'), '/quickbooks/v3/company/{id}/invoice/{id}');
    assert.equal(urlTemplate('/zendesk/api/v2/tickets/9001/comments.json'), '/zendesk/api/v2/tickets/{id}/comments.json');
    assert.equal(urlTemplate('/zendesk/api/v2/tickets/9001.json'), '/zendesk/api/v2/tickets/{id}.json');
    assert.equal(urlTemplate('/crm/v3/objects/contacts/billing%40acme.example'), '/crm/v3/objects/contacts/{id}');
    assert.equal(urlTemplate('/slack/api/chat.postMessage'), '/slack/api/chat.postMessage');
    assert.equal(urlTemplate('/api/v1/tokens/3f8b7a52-1c2d-4e5f-9a6b-7c8d9e0f1a2b/charges'), '/api/v1/tokens/{id}/charges');
  });
});
