/**
 * The audit export on a day of mixed cases, on its own real dev server (so the range holds only
 * this test's cases): calls posted through the signed webhook, real activities against the
 * sandbox, decisions through the decide update. Checked: one row per decision and per money
 * movement, amounts formatted by the currency, ranges, CSV and JSON, pagination, and that no
 * contact detail of the fixtures (emails, phones, names, addresses) reaches the output.
 */
import { newTestLedger } from '../support/ledger';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { exportRows, csvField, parseBound, type ExportRow } from '../../src/cases/export';
import { ensureTemporalCli } from '../../src/devtools/temporal-cli';
import { startDevServerOnFreePort, type DevServer } from '../../src/devtools/dev-server';
import { caseActivities, createCaseWorker } from '../../src/worker';
import type { Decision, DecisionAction } from '../../src/domain/decision';
import type { CallFixture } from '../../scripts/call-fixture';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { APPROVER_NAMES, FIXTURES, decideSigned, postFixture, waitForApprovalRequest, waitForCaseState } from '../support/signed-cases';
import { NAMESPACE, testCodecKeyring, testDataConverter, uniqueTaskQueue, workflowBundle } from '../support/temporal';

const API_TOKEN = 'export-test-token-0123456789abcdef0123456789abcdef';
const DECISION_KEY = 'export-test-decision-key-0123456789abcdef';
const WEBHOOK_SECRET = 'export-test-dialnexa-secret-0123456789';
type Json = Record<string, unknown>;
const [APPROVER_1, APPROVER_2] = Object.keys(APPROVER_NAMES);
const decide = (handle: WorkflowHandle, requestId: string, actorId: string, action: DecisionAction, extra: Partial<Decision> = {}) =>
  decideSigned(handle, DECISION_KEY, requestId, actorId, action, extra);
const waitForState = waitForCaseState;
const waitForRequest = waitForApprovalRequest;

/** The test keyring as the environment a process reads it from (CODEC_KEYS). */
function testCodecEnv(): Record<string, string> {
  const k = testCodecKeyring();
  return { CODEC_KEYS: [...k.keys].map(([id, key]) => `${id}:${key.toString('base64')}`).join(','), CODEC_ACTIVE_KEY_ID: k.activeKeyId };
}

/** Every contact detail and name in the fixtures: what the export must never contain. */
function fixtureContactDetails(): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, key = '') => {
    if (
      typeof v === 'string' &&
      /email|phone|name|number|address|street|line|city|postal|zip/i.test(key) &&
      !/invoice|account/i.test(key) &&
      v.length >= 4
    )
      found.add(v);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, typeof x === 'object' ? `${key}.${k}` : k);
  };
  for (const f of fs.readdirSync(FIXTURES).filter((n) => n.endsWith('.json')))
    walk((JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as CallFixture).payload.call);
  return [...found];
}

describe('audit export: GET /cases/export and npm run cases:export on a day of mixed cases', function () {
  this.timeout(240_000);
  let dev: DevServer;
  let sb: TestSandbox;
  let client: Client;
  let server: Server;
  let baseUrl: string;
  let stopWorker: () => Promise<void>;
  const started = new Date();
  const ids: Record<string, string> = {};

  const post = (name: string, analysis: Json = {}) => postFixture(baseUrl, WEBHOOK_SECRET, name, analysis);
  const handle = (key: string): WorkflowHandle => client.workflow.getHandle(ids[key]);
  const exportHttp = (query: string) => fetch(`${baseUrl}/cases/export?${query}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  const rangeQuery = (format: string) =>
    `from=${new Date(started.getTime() - 60_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}&format=${format}`;

  before(async () => {
    const cliPath = ensureTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathVar: process.env.PATH });
    dev = await startDevServerOnFreePort({ cliPath, namespace: NAMESPACE, retentionDays: 1, startTimeoutMs: 90_000 });
    sb = await startSandbox();
    client = new Client({
      connection: await Connection.connect({ address: dev.address }),
      namespace: NAMESPACE,
      dataConverter: testDataConverter(),
    });
    const taskQueue = uniqueTaskQueue('export');
    const config = loadConfig({ TEMPORAL_ADDRESS: dev.address, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'silent', SANDBOX_URL: sb.url });
    const connection = await NativeConnection.connect({ address: dev.address });
    const worker = await createCaseWorker({
      connection,
      namespace: NAMESPACE,
      taskQueue,
      activities: caseActivities(config, {
        connection,
        dataConverter: testDataConverter(),
        identity: 'export-worker',
        connectors: sb.clients,
        decisionKey: DECISION_KEY,
        ledger: newTestLedger(),
      }),
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
    const app = createApp({
      config,
      client,
      logger: createLogger({ level: 'silent' }),
      secrets: {
        dialnexaWebhookSecret: WEBHOOK_SECRET,
        slackSigningSecret: 'export-test-slack-secret',
        apiToken: API_TOKEN,
        decisionKey: DECISION_KEY,
      },
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // The day: a refund approved (money moves), one rejected, one above the two-person threshold
    // with one approval so far (still running), one inside policy (automated, no decision), an
    // invoice resend and a billing-address change (no money).
    ids.approved = await post('refund_request');
    ids.rejected = await post('refund_request', { invoice_number: 'INV-1001', amount: '120.00' });
    ids.twoPerson = await post('refund_request', { invoice_number: 'INV-1001', amount: '1500.00' });
    // Inside policy on a paid invoice of an account that pays through Skyfire: a pay token, then the RefundReceipt.
    ids.automated = await post('refund_request', {
      account_id: 'UMBRELLA-004',
      invoice_number: 'INV-4002',
      payment_id: '3005',
      amount: '25.00',
      customer_email: 'accounts@umbrella.example',
      payment_platform: 'skyfire',
    });
    ids.resend = await post('invoice_resend');
    ids.address = await post('billing_details_correction');

    await decide(handle('approved'), await waitForRequest(handle('approved')), APPROVER_1, 'approve');
    await decide(handle('rejected'), await waitForRequest(handle('rejected')), APPROVER_2, 'reject', {
      reason: 'Call Priya Raman at +14155550134 first',
    });
    await decide(handle('twoPerson'), await waitForRequest(handle('twoPerson')), APPROVER_1, 'approve');
    await waitForState(handle('twoPerson'), (s) => s.decisions.length === 1, 30_000);
    for (const key of ['approved', 'rejected', 'automated']) await handle(key).result();
  });

  after(async () => {
    server?.close();
    await stopWorker?.();
    await client?.connection.close();
    await sb?.close();
    await dev?.stop();
  });

  let rows: ExportRow[];
  it('GET /cases/export?format=json: one row per decision and per money movement, amounts by currency', async () => {
    const res = await exportHttp(rangeQuery('json'));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked', 'streamed, not buffered');
    rows = (await res.json()) as ExportRow[];
    const of = (key: string) => rows.filter((r) => r.caseId === ids[key]);
    const summary = (key: string) => of(key).map((r) => `${r.type}:${r.action}:${r.outcome}`);

    assert.deepEqual(summary('approved'), ['decision:approve:Approved', 'money_movement:RefundReceipt:recorded']);
    const [approval, refund] = of('approved');
    assert.equal(approval.decidedBy, 'Dana Finance');
    assert.equal(approval.decidedById, APPROVER_1);
    assert.equal(approval.source, 'slack');
    assert.ok(approval.requestId);
    assert.deepEqual(
      [refund.amount, refund.amountMinor, refund.currency, refund.system, refund.decidedBy, refund.caseStatus],
      ['USD 450.00', 45000, 'USD', 'quickbooks', 'Dana Finance', 'completed'],
    );
    assert.ok(refund.recordId && refund.recordsWritten.includes(`quickbooks/RefundReceipt/${refund.recordId}`), refund.recordsWritten);
    assert.ok(refund.at >= approval.at, 'the money moved after the approval');
    assert.ok(
      approval.policyVersion && refund.policyVersion,
      'decision and money movement name the policy version they were checked under',
    );

    assert.deepEqual(summary('rejected'), ['decision:reject:Rejected']);
    assert.equal(of('rejected')[0].caseStatus, 'rejected');
    assert.equal(of('rejected')[0].amount, 'USD 120.00');

    assert.deepEqual(summary('twoPerson'), ['decision:approve:Approved']);
    assert.deepEqual(
      [of('twoPerson')[0].executionStatus, of('twoPerson')[0].amount],
      ['RUNNING', 'USD 1,500.00'],
      'a running case is read through its status query',
    );

    assert.deepEqual(summary('automated'), ['money_movement:pay_token:recorded', 'money_movement:RefundReceipt:recorded']);
    assert.deepEqual(
      of('automated').map((r) => [r.system, r.decidedBy, r.amount, r.accountId]),
      [
        ['skyfire', 'policy', 'USD 25.00', 'UMBRELLA-004'],
        ['quickbooks', 'policy', 'USD 25.00', 'UMBRELLA-004'],
      ],
    );

    assert.deepEqual([...of('resend'), ...of('address')], [], 'cases without decisions or money have no rows');
    assert.equal(rows.length, 6);
    for (const r of rows) assert.ok(r.at >= started.toISOString(), `${r.caseId} ${r.at} is inside the range`);
  });

  it('CSV carries the same rows, and no contact detail or free-text reason reaches either format', async () => {
    const res = await exportHttp(rangeQuery('csv'));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="cases-.*\.csv"/);
    const csv = await res.text();
    const lines = csv.trim().split('\n');
    assert.equal(lines[0].split(',')[0], 'caseId');
    assert.equal(lines.length, rows.length + 1);
    assert.ok(
      lines.some((l) => l.includes('"USD 1,500.00",150000,USD')),
      'a formatted amount with a comma is quoted',
    );
    const json = JSON.stringify(rows);
    const details = fixtureContactDetails();
    assert.ok(
      details.includes('billing@acme.example') && details.includes('+14155550134') && details.includes('Priya Raman'),
      `the scan knows the fixtures' details: ${details.join(' | ')}`,
    );
    for (const detail of [...details, 'Call Priya Raman', 'accounts@umbrella.example']) {
      assert.ok(!csv.includes(detail), `CSV contains ${detail}`);
      assert.ok(!json.includes(detail), `JSON contains ${detail}`);
    }
  });

  it('reads visibility page by page: a page size of 1 yields the same rows', async () => {
    const range = { from: new Date(started.getTime() - 60_000), to: new Date(Date.now() + 60_000) };
    const paged: ExportRow[] = [];
    for await (const r of exportRows(client, range, { pageSize: 1, concurrency: 1 })) paged.push(r);
    assert.ok(paged.length > 1);
    assert.deepEqual(JSON.parse(JSON.stringify(paged)), rows);
  });

  it('keeps to the range: nothing before the cases, nothing after them', async () => {
    const before = await exportHttp(`from=2026-01-01&to=${new Date(started.getTime() - 3_600_000).toISOString()}&format=json`);
    assert.deepEqual(await before.json(), []);
    const after = await exportHttp(`from=${new Date(Date.now() + 3_600_000).toISOString()}&to=2099-01-01&format=json`);
    // The running case is listed (it may still decide later) but has no row after now.
    assert.deepEqual(await after.json(), []);
  });

  it('refuses a bad range or format with a clear 400, and needs the API token', async () => {
    for (const [q, why] of [
      ['from=2026-12-02&to=2026-12-01', /before/],
      ['from=yesterday&to=2026-12-01', /expected a date/],
      ['from=2026-12-01', /to/],
      ['from=2026-12-01&to=2026-12-02&format=xml', /format/],
      ['from=2026-12-01&to=2026-12-02&account=x', /account|Unrecognized/i],
    ] as const) {
      const res = await exportHttp(q);
      assert.equal(res.status, 400, q);
      assert.match(((await res.json()) as { message: string }).message, why, q);
    }
    assert.equal((await fetch(`${baseUrl}/cases/export?${rangeQuery('csv')}`)).status, 401);
  });

  it('npm run cases:export writes the same CSV rows, from the command line', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-'));
    const out = path.join(dataDir, 'day.csv');
    const [from, to] = [new Date(started.getTime() - 60_000).toISOString(), new Date(Date.now() + 60_000).toISOString()];
    const run = await new Promise<{ code: number; err: string }>((resolve) =>
      execFile(
        path.join(__dirname, '../../node_modules/.bin/tsx'),
        ['scripts/cases-export.ts', '--from', from, '--to', to, '--out', out],
        {
          cwd: path.join(__dirname, '../..'),
          env: { PATH: process.env.PATH, TEMPORAL_ADDRESS: dev.address, LOG_LEVEL: 'silent', ...testCodecEnv() },
        },
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, err: stderr }),
      ),
    );
    assert.equal(run.code, 0, run.err);
    assert.match(run.err, new RegExp(`${rows.length} rows`));
    const http = await (await exportHttp(rangeQuery('csv'))).text();
    assert.deepEqual(fs.readFileSync(out, 'utf8').split('\n').slice(1).sort(), http.split('\n').slice(1).sort());
    const bad = await new Promise<number>((resolve) =>
      execFile(
        path.join(__dirname, '../../node_modules/.bin/tsx'),
        ['scripts/cases-export.ts', '--from', 'soon'],
        { cwd: path.join(__dirname, '../..') },
        (err) => resolve(err ? ((err as { code?: number }).code ?? 1) : 0),
      ),
    );
    assert.equal(bad, 2);
  });

  it('a terminated case still exports its decisions; a case no worker can read is listed as unreadable, not dropped', async () => {
    const range = { from: new Date(started.getTime() - 60_000), to: new Date(Date.now() + 60_000) };
    const stopped = await post('refund_request', { invoice_number: 'INV-1001', amount: '2000.00' });
    const h = client.workflow.getHandle(stopped);
    await decide(h, await waitForRequest(h), APPROVER_2, 'approve');
    await waitForState(h, (s) => s.decisions.length === 1, 30_000);
    await h.terminate('export test: an operator stopped the case');
    // A case on a task queue no worker polls: its state cannot be read.
    const orphan = `case-refund_request-call_orphan${Date.now().toString(36)}`;
    await client.workflow.start('refundRequest', { taskQueue: uniqueTaskQueue('nobody'), workflowId: orphan, args: [{}] });
    try {
      // The export reads visibility, which lags behind a start or a termination on a busy server: wait until it shows both.
      const shown = `(WorkflowId = '${orphan}') OR (WorkflowId = '${stopped}' AND ExecutionStatus = 'Terminated')`;
      for (let i = 0; i < 100 && (await client.workflow.count(shown)).count < 2; i++) await new Promise((r) => setTimeout(r, 100));
      const got: ExportRow[] = [];
      for await (const r of exportRows(client, range, { queryTimeoutMs: 1000 })) got.push(r);
      const terminated = got.filter((r) => r.caseId === stopped);
      assert.deepEqual(
        terminated.map((r) => [r.type, r.action, r.decidedBy, r.executionStatus]),
        [['decision', 'approve', 'Sam Ledger', 'TERMINATED']],
      );
      const unreadable = got.filter((r) => r.caseId === orphan);
      assert.equal(unreadable.length, 1);
      assert.equal(unreadable[0].type, 'case_unreadable');
      assert.match(unreadable[0].outcome, /state unreadable \(RUNNING\)/);
    } finally {
      await client.workflow.getHandle(orphan).terminate('export test cleanup');
    }
  });

  it('CSV fields: quoting, and formulas defused for spreadsheets; range bounds parse strictly', () => {
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvField(undefined), '');
    assert.equal(parseBound('2026-12-01')?.toISOString(), '2026-12-01T00:00:00.000Z');
    assert.equal(parseBound('2026-12-01T09:30:00+02:00')?.toISOString(), '2026-12-01T07:30:00.000Z');
    assert.equal(parseBound('2026-12-01T09:30:00'), undefined, 'a date-time without zone is ambiguous');
    assert.equal(parseBound('2026-13-45'), undefined);
  });
});
