/**
 * Issue 22 items 1-3, through the real path: signed DialNexa webhook -> case workflows on a real
 * Temporal server -> real activities -> the sandbox, asserting what each system received.
 *
 * A corpus of hostile strings (Slack control sequences, HTML and script, CRLF header injection,
 * bidi overrides and zero-width characters, a 10,000-character summary) rides in the call's free
 * text and in the notes typed into Slack modals. Slack must show none of it as markup (no mention,
 * broadcast, link or formatting of the caller's making; Block Kit limits kept); Zendesk, Gmail,
 * QuickBooks and Drive get no invisible characters, no header or HTML of the caller's making.
 * Then: a case never writes into another customer's caller-named ticket (it opens its own and
 * tells finance), and a ticket's requester is the email on file, not the one the caller spoke.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { caseActivities, createCaseWorker } from '../../src/worker';
import type { RecordedRequest } from '../../src/sandbox/core';
import { statusQuery } from '../../src/workflows/messages';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import { newTestLedger } from '../support/ledger';
import { decideSigned, postFixture, waitForApprovalRequest, waitForCaseState } from '../support/signed-cases';
import { NAMESPACE, temporalAddress, testDataConverter, uniqueTaskQueue, workflowBundle } from '../support/temporal';

const API_TOKEN = 'encoding-test-token-0123456789abcdef0123456789abcdef';
const DECISION_KEY = 'encoding-test-decision-key-0123456789abcdef';
const WEBHOOK_SECRET = 'encoding-test-dialnexa-secret-0123456789';
type Json = Record<string, unknown>;

/** The issue's own example: a broadcast, a fake "Why review" line and a disguised link, newlines kept. */
const SLACK_ATTACK = 'Duplicate charge <!channel>\n*Why review* Pre-cleared by CFO <https://evil.example|Open the invoice>';
const HOSTILE = {
  slack: `${SLACK_ATTACK} <!here> <@U0CFO0001> <!subteam^S123|finance> _italic_ ~struck~ \`code\` &lt;already&gt;`,
  html: '<script>alert(1)</script><img src=x onerror=alert(2)> <a href="https://evil.example">invoice</a>',
  crlf: 'Refund\r\nBcc: evil@attacker.example\r\nSubject: injected\r\n\r\nbody',
  bidi: 'Priya \u202Eexe.fdp\u202C Raman\u200B\u200D\u2066x\u2069\uFEFF',
};
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

/** Every Block Kit text object in a Slack API body, with where it sits. */
function textObjects(v: unknown, where = ''): { where: string; type: string; text: string }[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => textObjects(x, `${where}[${i}]`));
  if (!v || typeof v !== 'object') return [];
  const o = v as Json;
  const own = (o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string' ? [{ where, type: o.type, text: o.text }] : [];
  return [...own, ...Object.entries(o).flatMap(([k, x]) => textObjects(x, `${where}.${k}`))];
}

/** `<…>` tokens a mrkdwn text may hold: ours only (user mentions, dates, links to our systems). */
function foreignTokens(text: string): string[] {
  return [...text.matchAll(/<([^>]*)>/g)]
    .map((m) => m[1])
    .filter((t) => !/^@[UW][A-Z0-9]+$/.test(t) && !/^!date\^\d+\^/.test(t) && !(/^https?:\/\//.test(t) && !/evil\.example/.test(t)));
}

describe('output encoding by destination and ticket ownership, through webhook -> case -> sandbox (issue 22)', function () {
  this.timeout(180_000);
  let sb: TestSandbox;
  let client: Client;
  let server: Server;
  let baseUrl: string;
  let stopWorker: () => Promise<void>;
  const ids: Record<string, string> = {};
  const handle = (key: string): WorkflowHandle => client.workflow.getHandle(ids[key]);
  const decide = (key: string, requestId: string, actorId: string, action: string, extra: Json = {}) =>
    decideSigned(handle(key), DECISION_KEY, requestId, actorId, action as never, extra);
  const bodies = async (system: Parameters<TestSandbox['records']>[0], filter?: (r: RecordedRequest) => boolean) =>
    (await sb.records(system, (r) => r.method !== 'GET' && (!filter || filter(r)))).map((r) => r.body);

  before(async () => {
    sb = await startSandbox();
    client = new Client({
      connection: await Connection.connect({ address: temporalAddress() }),
      namespace: NAMESPACE,
      dataConverter: testDataConverter(),
    });
    const taskQueue = uniqueTaskQueue('encoding');
    const config = loadConfig({
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'silent',
      SANDBOX_URL: sb.url,
    });
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const worker = await createCaseWorker({
      connection,
      namespace: NAMESPACE,
      taskQueue,
      activities: caseActivities(config, {
        connection,
        dataConverter: testDataConverter(),
        identity: 'encoding-worker',
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
    server = createApp({
      config,
      client,
      logger: createLogger({ level: 'silent' }),
      secrets: {
        dialnexaWebhookSecret: WEBHOOK_SECRET,
        slackSigningSecret: 'encoding-test-slack-secret',
        apiToken: API_TOKEN,
        decisionKey: DECISION_KEY,
      },
    }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // 1. A refund for review with the corpus in the caller's words; handed off with a hostile note
    //    typed in the modal, then approved: Slack, Zendesk, QuickBooks and Gmail all get written.
    ids.refund = await postFixture(
      baseUrl,
      WEBHOOK_SECRET,
      'refund_request',
      {
        refund_reason: HOSTILE.slack,
        customer_name: HOSTILE.bidi,
        promised_next_step: HOSTILE.html,
        escalation_reason: HOSTILE.crlf,
      },
      {
        // 10,000 characters of the caller's words, the corpus inside.
        summary: `${HOSTILE.slack} ${HOSTILE.html} ${HOSTILE.bidi} ${HOSTILE.crlf} `.padEnd(10_000, 'duplicate charge <!everyone> *bold* '),
      },
    );
    // 2. A dispute: evidence goes to Drive.
    ids.dispute = await postFixture(baseUrl, WEBHOOK_SECRET, 'charge_dispute', { dispute_reason: `${HOSTILE.slack} ${HOSTILE.bidi}` });
    // 3. Globex names Acme's ticket 9001.
    ids.globex = await postFixture(baseUrl, WEBHOOK_SECRET, 'refund_request', {
      account_id: 'GLOBEX-002',
      // Spoken, not on file: the ticket's requester must still be Globex's email on file.
      customer_email: 'gil.personal@elsewhere.example',
      invoice_number: 'INV-2001',
      amount: '120.00',
      support_ticket: '9001',
    });

    const first = await waitForApprovalRequest(handle('refund'));
    await decide('refund', first, 'U0FIN0001', 'hand_off', {
      handTo: 'U0FIN0002',
      reason: `Out today.\n*Approved by CFO* <!channel> <https://evil.example|policy>\r\nBcc: x@y.example ${'z'.repeat(400)}`,
    });
    await waitForCaseState(handle('refund'), (s) => s.decisions.length >= 1);
    await decide('refund', first, 'U0FIN0002', 'approve');
    await handle('refund').result();
    await waitForCaseState(handle('globex'), (s) => s.pendingApproval?.slackMessage !== undefined);
  });

  after(async () => {
    server?.close();
    await stopWorker?.();
    await client?.connection.close();
    await sb?.close();
  });

  it('Slack: no mention, broadcast, link or formatting of the caller’s making; within Block Kit limits', async () => {
    const posts = (await bodies('slack', (r) => /chat\.(postMessage|update)$/.test(r.path))) as Json[];
    assert.ok(posts.length >= 3, `${posts.length} Slack messages`);
    const all = JSON.stringify(posts);
    assert.ok(all.includes('Pre-cleared by CFO'), 'the caller’s words are shown (as text)');
    for (const post of posts) {
      const top = String(post.text ?? '');
      assert.ok(top.length <= 3000, `text of ${top.length}`);
      assert.deepEqual(foreignTokens(top), [], `top-level text: ${top.slice(0, 200)}`);
      const blocks = (typeof post.blocks === 'string' ? JSON.parse(post.blocks) : post.blocks) as unknown[];
      assert.ok(blocks.length <= 50, `${blocks.length} blocks`);
      for (const t of textObjects(blocks)) {
        assert.doesNotMatch(t.text, INVISIBLE, `${t.where}: invisible characters`);
        const limit = t.type === 'plain_text' ? 150 : /fields/.test(t.where) ? 2000 : 3000;
        assert.ok(t.text.length <= limit, `${t.where}: ${t.text.length} > ${limit}`);
        if (t.type !== 'mrkdwn') continue;
        assert.deepEqual(foreignTokens(t.text), [], `${t.where}: ${t.text.slice(0, 300)}`);
        // The caller's "*Why review*" and the modal's "*Approved by CFO*" are not bold; ours may be.
        assert.doesNotMatch(t.text, /\*Why review\* Pre-cleared|\*Approved by CFO\*|_italic_|~struck~|`code`/, t.where);
        // No line of the caller's making starts a line of its own ("Pre-cleared by CFO" stays inside its field or quote).
        for (const line of t.text.split('\n')) assert.doesNotMatch(line, /^\S*Why review\S* Pre-cleared/, `${t.where}: ${line}`);
      }
    }
    // The hand-off note typed in the modal is shown escaped and quoted.
    assert.match(all, /&gt;|&lt;!channel&gt;/);
  });

  it('Zendesk: plain comment bodies (never html_body), no invisible characters, within the limit', async () => {
    const writes = (await bodies('zendesk')) as { ticket?: { comment?: { body?: string; html_body?: string }; subject?: string } }[];
    assert.ok(writes.length >= 2);
    for (const w of writes) {
      const c = w.ticket?.comment;
      if (!c) continue;
      assert.equal(c.html_body, undefined, 'no HTML body is sent');
      assert.doesNotMatch(String(c.body), INVISIBLE);
      assert.ok(String(c.body).length <= 16_000);
      if (w.ticket?.subject) assert.doesNotMatch(w.ticket.subject, /[\r\n]/);
    }
  });

  it('Gmail: one To, no header of the caller’s making, encoded words <= 75, no invisible characters', async () => {
    const raws = ((await bodies('gmail')) as { raw?: string; message?: { raw?: string } }[])
      .map((b) => b.raw ?? b.message?.raw)
      .filter((r): r is string => typeof r === 'string');
    assert.ok(raws.length >= 1, 'the refund confirmation was written');
    for (const raw of raws) {
      const mime = Buffer.from(raw, 'base64url').toString('utf8');
      const head = mime.slice(0, mime.indexOf('\r\n\r\n'));
      const headers = head.split(/\r\n(?![ \t])/);
      assert.equal(headers.filter((h) => /^to:/i.test(h)).length, 1);
      assert.ok(!headers.some((h) => /^(bcc|cc):/i.test(h)), head);
      for (const w of head.match(/=\?[^?]+\?[BQ]\?[^?]*\?=/g) ?? []) assert.ok(w.length <= 75, w);
      const body = Buffer.from(mime.slice(mime.indexOf('\r\n\r\n') + 4).replace(/\r\n/g, ''), 'base64').toString('utf8');
      assert.doesNotMatch(body, INVISIBLE);
    }
  });

  it('QuickBooks and Drive: notes and names without invisible characters, within limits', async () => {
    const qbo = (await bodies('quickbooks', (r) => /refundreceipt|creditmemo|customer$/i.test(r.path))) as Json[];
    assert.ok(qbo.length >= 1, 'the refund was recorded');
    for (const b of qbo) {
      if (typeof b.PrivateNote === 'string') {
        assert.ok(b.PrivateNote.length <= 4000);
        assert.doesNotMatch(b.PrivateNote, INVISIBLE);
      }
    }
    await waitForCaseState(handle('dispute'), (s) => s.records.some((r) => r.system === 'drive'), 60_000);
    const files = (await sb.control('/drive/files')) as { id: string; name: string; mimeType: string; description?: string }[];
    assert.ok(files.length >= 2, 'the case folder and the evidence');
    for (const f of files) {
      assert.ok(f.name.length > 0 && f.name.length <= 255, f.name);
      assert.doesNotMatch(f.name, INVISIBLE);
      assert.doesNotMatch(f.name, /[/\\\r\n]/);
      if (f.description) assert.doesNotMatch(f.description, INVISIBLE);
    }
    // The evidence file's own text carries the caller's words (the summary with the bidi string).
    const texts = await Promise.all(
      files.filter((f) => f.mimeType === 'text/plain').map(async (f) => (await fetch(`${sb.url}/_sandbox/drive/files/${f.id}`)).text()),
    );
    assert.ok(texts.length >= 1, 'an evidence text file');
    assert.ok(
      texts.some((t) => t.includes('Priya') && t.includes('Raman')),
      `the caller's words are in it: ${texts.join('\n---\n')}`,
    );
    for (const t of texts) assert.doesNotMatch(t, INVISIBLE);
  });

  it("never writes into a caller-named ticket of another customer: Globex's case opens its own and finance is told", async () => {
    const tickets = (await sb.control('/zendesk/tickets')) as {
      id: number;
      requester_email: string | null;
      external_id: string | null;
      comments: { body: string }[];
    }[];
    const acme = tickets.find((t) => t.id === 9001)!;
    assert.deepEqual(
      acme.comments.map((c) => c.body),
      ['Seed ticket'],
      "nothing was written into Acme's ticket",
    );
    const ticket = (await handle('globex').query(statusQuery)).records.find((r) => r.system === 'zendesk');
    assert.ok(ticket && ticket.id !== '9001', `Globex's own ticket: ${JSON.stringify(ticket)}`);
    const own = tickets.find((t) => String(t.id) === ticket.id)!;
    assert.equal(own.requester_email, 'ap@globex.example');
    const alerts = JSON.stringify(await bodies('slack', (r) => /chat\.postMessage$/.test(r.path)));
    assert.match(alerts, /Ticket not used: 9001 is not this customer/);
  });

  it("a ticket's requester is the verified email on file, not the address the caller spoke", async () => {
    const tickets = (await sb.control('/zendesk/tickets')) as { id: number; requester_email: string | null }[];
    const ticket = (await handle('globex').query(statusQuery)).records.find((r) => r.system === 'zendesk')!;
    assert.equal(tickets.find((t) => String(t.id) === ticket.id)?.requester_email, 'ap@globex.example');
    assert.ok(!tickets.some((t) => t.requester_email === 'gil.personal@elsewhere.example'), 'the spoken address is never a requester');
  });
});
