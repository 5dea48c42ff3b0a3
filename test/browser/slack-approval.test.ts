/**
 * Finance decides in a real browser: a refund above the automation limit arrives as a signed
 * DialNexa webhook, the refund workflow posts its approval request to the sandbox Slack, and
 * Chromium (playwright-core, Debian's /usr/bin/chromium) clicks the buttons on the sandbox's Slack
 * page, which sends properly signed interactions to the service. Screenshots go to
 * test-artifacts/browser/ (git-ignored).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { createApp, drainBackground } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { createConnectors } from '../../src/connectors/clients';
import { createSandbox } from '../../src/sandbox';
import { signDialNexaBody } from '../../src/intake/signature';
import { caseWorkflowId } from '../../src/temporal/workflow-ids';
import { statusQuery } from '../../src/workflows/messages';
import type { Decision } from '../../src/domain/decision';
import { startServiceWorker, testClient, temporalAddress, uniqueTaskQueue } from '../support/temporal';
import { TEST_DECISION_KEY } from '../support/policy';
import { freshDelivery } from '../../scripts/call-fixture';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'browser');
const WEBHOOK_SECRET = 'browser-test-dialnexa-secret-0123456789';
const SLACK_SECRET = 'browser-test-slack-signing-secret';
const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'calls', 'refund_request.json');

async function listen(app: Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Polls the page's text across the reloads the Slack page does when a message changes. */
async function waitForText(page: Page, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const text = (await page.textContent('main')) ?? '';
      if (pattern.test(text)) return text;
    } catch {
      // The page reloaded between the query and its answer; ask again.
    }
    if (Date.now() > end) throw new Error(`page never showed ${pattern}`);
    await page.waitForTimeout(200);
  }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  return (await res.json()) as T;
}

describe('browser: Slack approvals end to end (Chromium)', function () {
  this.timeout(120_000);
  let browser: Browser;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startServiceWorker>>;
  let sandbox: { server: Server; url: string };
  let api: { server: Server; url: string };
  let app: Express | undefined;
  const sb = createSandbox();

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (npm test installs it: scripts/setup.ts)`);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    sandbox = await listen(sb.app);
    const taskQueue = uniqueTaskQueue('browser');
    const config = loadConfig({
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      SANDBOX_URL: sandbox.url,
      LOG_LEVEL: 'silent',
    });
    client = await testClient();
    worker = await startServiceWorker(createConnectors(config.connectors), { identity: 'browser-test-worker', taskQueue });
    app = createApp({
      config,
      client,
      logger: createLogger({ level: 'silent' }),
      secrets: { decisionKey: TEST_DECISION_KEY, dialnexaWebhookSecret: WEBHOOK_SECRET, slackSigningSecret: SLACK_SECRET },
    });
    api = await listen(app);
    const slack = sb.systems.find((s) => s.name === 'slack') as unknown as {
      configure(o: { interactionsUrl: string; signingSecret: string }): void;
    };
    slack.configure({ interactionsUrl: `${api.url}/slack/interactions`, signingSecret: SLACK_SECRET });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  after(async () => {
    await browser?.close();
    api?.server.close();
    // What a click still does after Slack's answer (its outcome, the Home tab) ends before the client closes.
    if (app) await drainBackground(app);
    sandbox?.server.close();
    await worker?.stop();
    await client?.connection.close();
  });

  /** Posts the refund fixture (450.00 USD, above the 50.00 automation limit) under a fresh call id. */
  async function postRefundCall(amount?: string, invoiceNumber?: string): Promise<string> {
    const call = freshDelivery(JSON.parse(fs.readFileSync(FIXTURE, 'utf8'))) as {
      payload: { call: { id: string; post_call_analysis: { amount: string; invoice_number: string } } };
    };
    call.payload.call.id = `call_browser_${randomUUID().slice(0, 8)}`;
    if (amount) call.payload.call.post_call_analysis.amount = amount;
    if (invoiceNumber) call.payload.call.post_call_analysis.invoice_number = invoiceNumber;
    const raw = JSON.stringify(call);
    const res = await fetch(`${api.url}/webhooks/dialnexa`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-dialnexa-signature': signDialNexaBody(raw, WEBHOOK_SECRET) },
      body: raw,
    });
    assert.ok(res.status >= 200 && res.status < 300, `webhook answered ${res.status}: ${await res.text()}`);
    return caseWorkflowId(call.payload.call.id, 'refund_request');
  }

  async function openSlackAs(user: string, workflowId: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${sandbox.url}/_sandbox/slack/channel?as=${user}`);
    // The request is posted by the workflow's Slack activity; the page reloads when it arrives.
    const end = Date.now() + 30_000;
    for (;;) {
      const found = await page
        .locator(`button[data-value*='${workflowId}']`)
        .count()
        .catch(() => 0);
      if (found > 0) break;
      if (Date.now() > end) throw new Error('the approval request never appeared on the Slack page');
      await page.waitForTimeout(250);
    }
    return page;
  }

  const button = (page: Page, workflowId: string, action: string) =>
    page.locator(`button[data-value*='${workflowId}'][data-value*='"a":"${action}"']`);

  it('approves a refund by clicking Approve; the message changes and exactly one RefundReceipt and one customer email exist', async () => {
    const workflowId = await postRefundCall();
    // Alex (support, not an approver) clicks first: a private refusal, and the request stays open.
    const alex = await openSlackAs('U0AGT0001', workflowId);
    await button(alex, workflowId, 'approve').click();
    await waitForText(alex, /Only visible to you\s*You are not authorized to decide on this request/);
    await alex.screenshot({ path: path.join(ARTIFACTS, 'approve-0-not-authorized.png'), fullPage: true });
    await alex.close();

    const page = await openSlackAs('U0FIN0001', workflowId);
    assert.ok(!/not authorized/.test((await page.textContent('main')) ?? ''), "Alex's refusal is not shown to Dana");
    await page.screenshot({ path: path.join(ARTIFACTS, 'approve-1-request.png'), fullPage: true });
    await button(page, workflowId, 'approve').click();
    const text = await waitForText(page, /Approved by @Dana Finance at \d\d:\d\d UTC/);
    assert.ok(!/Approved by @Dana Finance.*1 of/.test(text), 'a one-person approval shows no count');
    await page.screenshot({ path: path.join(ARTIFACTS, 'approve-2-decided.png'), fullPage: true });
    assert.equal(await button(page, workflowId, 'approve').count(), 0, 'the buttons are gone');

    const result = await client.workflow.getHandle(workflowId).result();
    assert.equal((result as { status: string }).status, 'completed');
    const receipts = await getJson<{ Id: string; PrivateNote?: string }[]>(`${sandbox.url}/_sandbox/quickbooks/entities/RefundReceipt`);
    assert.equal(receipts.length, 1, 'exactly one RefundReceipt');
    const sent = await getJson<{ to?: string }[]>(`${sandbox.url}/_sandbox/gmail/sent`);
    assert.equal(sent.length, 1, 'exactly one customer email');
    await page.close();
  });

  it('needs two different approvers above the two-person threshold: 1 of 2, then 2 of 2 and one RefundReceipt', async () => {
    const receiptsBefore = (await getJson<unknown[]>(`${sandbox.url}/_sandbox/quickbooks/entities/RefundReceipt`)).length;
    // INV-1003 was paid 2,500.00: enough for a refund above the two-person threshold.
    const workflowId = await postRefundCall('1200.00', 'INV-1003');
    const dana = await openSlackAs('U0FIN0001', workflowId);
    await button(dana, workflowId, 'approve').click();
    await waitForText(dana, /Approved by @Dana Finance at \d\d:\d\d UTC, 1 of 2/);
    assert.equal(await button(dana, workflowId, 'approve').count(), 1, 'the buttons stay for the second approver');
    // Dana clicking again changes nothing.
    await button(dana, workflowId, 'approve').click();
    await dana.screenshot({ path: path.join(ARTIFACTS, 'two-person-1-first.png'), fullPage: true });
    await dana.close();
    const sam = await openSlackAs('U0FIN0002', workflowId);
    await button(sam, workflowId, 'approve').click();
    await waitForText(sam, /Approved by @Sam Ledger at \d\d:\d\d UTC, 2 of 2/);
    await sam.screenshot({ path: path.join(ARTIFACTS, 'two-person-2-decided.png'), fullPage: true });
    const result = (await client.workflow.getHandle(workflowId).result()) as { status: string; decisions: { actor: { id: string } }[] };
    assert.equal(result.status, 'completed');
    assert.deepEqual(
      result.decisions.map((d) => d.actor.id),
      ['U0FIN0001', 'U0FIN0002'],
    );
    assert.equal((await getJson<unknown[]>(`${sandbox.url}/_sandbox/quickbooks/entities/RefundReceipt`)).length, receiptsBefore + 1);
    await sam.close();
  });

  it('rejects with a reason typed into the modal; the reason is in the case history and no money moves', async () => {
    const workflowId = await postRefundCall();
    const receiptsBefore = (await getJson<unknown[]>(`${sandbox.url}/_sandbox/quickbooks/entities/RefundReceipt`)).length;
    const page = await openSlackAs('U0FIN0002', workflowId);
    await button(page, workflowId, 'reject').click();
    await page.waitForSelector('#modal textarea', { timeout: 15_000 });
    const reason = 'Duplicate charge already reversed by the bank on Nov 20';
    await page.fill('#modal textarea', reason);
    await page.screenshot({ path: path.join(ARTIFACTS, 'reject-1-modal.png'), fullPage: true });
    await page.click('#modal-submit');
    await waitForText(page, /Rejected by @Sam Ledger at \d\d:\d\d UTC/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'reject-2-decided.png'), fullPage: true });

    const handle = client.workflow.getHandle(workflowId);
    const result = (await handle.result()) as { status: string };
    assert.equal(result.status, 'rejected');
    // The decision, with its reason, is in the workflow history (decoded with the service's codec).
    const history = await handle.fetchHistory();
    const accepted = (history.events ?? []).map((e) => e.workflowExecutionUpdateAcceptedEventAttributes).filter((a) => a);
    assert.equal(accepted.length, 1);
    const dc = client.options.loadedDataConverter;
    let payloads = (accepted[0]?.acceptedRequest?.input?.args?.payloads ?? []) as Payload[];
    for (const codec of [...dc.payloadCodecs].reverse()) payloads = await codec.decode(payloads);
    const decision = dc.payloadConverter.fromPayload<Decision>(payloads[0]);
    assert.deepEqual([decision.action, decision.actor.id, decision.reason], ['reject', 'U0FIN0002', reason]);
    const state = await handle.query(statusQuery);
    assert.equal(state.decisions.at(-1)?.reason, reason);
    assert.equal(
      (await getJson<unknown[]>(`${sandbox.url}/_sandbox/quickbooks/entities/RefundReceipt`)).length,
      receiptsBefore,
      'no RefundReceipt for a rejected refund',
    );
    await page.close();
  });
});
