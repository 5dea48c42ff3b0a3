/**
 * POST /slack/interactions against a real Temporal server, with the sandbox Slack system sending
 * properly signed clicks and modal submissions, and the Slack activities posting and updating the
 * approval message.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { createApp, drainBackground } from '../../src/api';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/logger';
import { createSandboxApp } from '../../src/sandbox/core';
import { createSlackSystem } from '../../src/sandbox/systems/slack/system';
import { createSlackApi } from '../../src/connectors/slack';
import { createSlackActivities } from '../../src/activities/slack';
import { computeSlackSignature } from '../../src/slack/signing';
import { encodeButtonValue } from '../../src/connectors/slack-buttons';
import { NAMESPACE, temporalAddress, uniqueTaskQueue } from '../support/temporal';
import type { ApprovalFixtureInput, ApprovalFixtureResult } from './fixtures/approval-workflow';
import { verifyDecision } from '../../src/proofs/decision-proof';
import { TEST_DECISION_KEY } from '../support/policy';

const SIGNING_SECRET = 'test-slack-signing-secret-0123456789';
const FIXTURE = 'slackApprovalFixture';

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Slack interactions: POST /slack/interactions -> Temporal update', function () {
  this.timeout(60_000);
  const slackSystem = createSlackSystem();
  const sandboxApp = createSandboxApp([slackSystem]).app;
  let sandbox: { server: Server; url: string };
  let api: { server: Server; url: string };
  let app: Express | undefined;
  let client: Client;
  let worker: Worker;
  let workerDone: Promise<void>;
  let connection: NativeConnection;
  const taskQueue = uniqueTaskQueue('slack');

  before(async () => {
    sandbox = await listen(sandboxApp);
    // Default data converter on both sides: this suite is about Slack, not the payload codec.
    client = new Client({ connection: await Connection.connect({ address: temporalAddress() }), namespace: NAMESPACE });
    connection = await NativeConnection.connect({ address: temporalAddress() });
    const slack = createSlackApi({ baseUrl: `${sandbox.url}/slack/api/`, token: 'sandbox-slack-bot-token' });
    worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: require.resolve('./fixtures/approval-workflow'),
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
      }),
      activities: createSlackActivities({ slack }),
    });
    workerDone = worker.run();
    const config = loadConfig({
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'silent',
      SANDBOX_URL: sandbox.url,
    });
    app = createApp({
      config,
      client,
      logger: createLogger({ level: process.env.SLACK_TEST_LOG_LEVEL ?? 'silent' }),
      secrets: {
        decisionKey: TEST_DECISION_KEY,
        dialnexaWebhookSecret: 'test-dialnexa-secret-0123456789',
        slackSigningSecret: SIGNING_SECRET,
      },
    });
    api = await listen(app);
    slackSystem.configure({ interactionsUrl: `${api.url}/slack/interactions`, signingSecret: SIGNING_SECRET });
  });

  beforeEach(() => slackSystem.reset());

  after(async () => {
    api?.server.close();
    // What a click still does after Slack's answer (its outcome, the Home tab) ends before the client closes.
    if (app) await drainBackground(app);
    sandbox?.server.close();
    worker?.shutdown();
    await workerDone;
    await connection?.close();
    await client?.connection.close();
  });

  async function startApproval(over: Partial<ApprovalFixtureInput> = {}) {
    const input: ApprovalFixtureInput = {
      requestId: randomUUID(),
      approvers: ['U0FIN0001', 'U0FIN0002'],
      required: 1,
      channel: 'C0FINANCE',
      ...over,
    };
    const handle: WorkflowHandle = await client.workflow.start(FIXTURE, {
      taskQueue,
      workflowId: `slack-test-${randomUUID()}`,
      args: [input],
      workflowExecutionTimeout: '2 minutes',
    });
    const message = await waitFor('the approval message', () =>
      slackSystem.state.messages.find(
        (m) => (m.metadata?.event_payload as { workflow_id?: string } | undefined)?.workflow_id === handle.workflowId,
      ),
    );
    return { handle, input, message };
  }

  async function click(user: string, msg: { channel: string; ts: string }, actionId: string) {
    const res = await fetch(`${sandbox.url}/_sandbox/slack/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user, channel: msg.channel, ts: msg.ts, actionId }),
    });
    return (await res.json()) as { status: number; body: string; error?: string };
  }

  /** Update events in the history: what Temporal recorded as accepted decisions. */
  async function acceptedDecisions(handle: WorkflowHandle) {
    const history = await handle.fetchHistory();
    return (history.events ?? [])
      .filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)
      .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  }

  function signedForm(payload: unknown, opts: { secret?: string; timestamp?: number; signature?: string | null } = {}) {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
    };
    if (opts.signature !== null)
      headers['x-slack-signature'] = opts.signature ?? computeSlackSignature(opts.secret ?? SIGNING_SECRET, ts, body);
    return { body, headers };
  }

  it('refuses forged, stale and missing signatures with 401, and nothing changes', async () => {
    const { handle, input, message } = await startApproval();
    const payload = {
      type: 'block_actions',
      user: { id: 'U0FIN0001', username: 'dana.finance' },
      actions: [
        {
          action_id: 'billing_approve',
          type: 'button',
          value: encodeButtonValue({ w: handle.workflowId, r: input.requestId, a: 'approve' }),
        },
      ],
      response_url: `${sandbox.url}/slack/hooks/actions/T0SANDBOX/none`,
      trigger_id: '1.x',
    };
    const attempts = [
      signedForm(payload, { secret: 'forged-secret-not-the-real-one' }),
      signedForm(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
      signedForm(payload, { signature: null }),
      signedForm(payload, { signature: 'v0=' + '0'.repeat(64) }),
    ];
    for (const a of attempts) {
      const res = await fetch(`${api.url}/slack/interactions`, { method: 'POST', headers: a.headers, body: a.body });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_signature');
    }
    // A body altered after signing is refused too.
    const good = signedForm(payload);
    const tampered = await fetch(`${api.url}/slack/interactions`, {
      method: 'POST',
      headers: good.headers,
      body: good.body.replace('U0FIN0001', 'U0FIN0002'),
    });
    assert.equal(tampered.status, 401);
    assert.deepEqual(await acceptedDecisions(handle), []);
    const desc = await handle.describe();
    assert.equal(desc.status.name, 'RUNNING');
    assert.ok(
      slackSystem.state.messages.find((m) => m.ts === message.ts)?.blocks.some((b) => b.type === 'actions'),
      'buttons still there',
    );
  });

  it('tells an unauthorized user privately, and the case keeps waiting', async () => {
    const { handle, message } = await startApproval();
    const res = await click('U0AGT0001', message, 'billing_approve');
    assert.equal(res.status, 200);
    const refusal = await waitFor('the private refusal', () => slackSystem.state.ephemerals.find((e) => e.user === 'U0AGT0001'));
    assert.match(refusal.text, /not authorized/i);
    assert.equal(slackSystem.state.ephemerals.filter((e) => e.user !== 'U0AGT0001').length, 0, 'nobody else sees it');
    assert.deepEqual(await acceptedDecisions(handle), []);
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    assert.ok(
      slackSystem.state.messages.find((m) => m.ts === message.ts)?.blocks.some((b) => b.type === 'actions'),
      'buttons still there',
    );
    // An approver can still decide afterwards.
    assert.equal((await click('U0FIN0001', message, 'billing_approve')).status, 200);
    assert.equal(((await handle.result()) as ApprovalFixtureResult).state, 'approved');
  });

  it('says privately that a click on a replaced request changed nothing', async () => {
    const { handle, message } = await startApproval();
    const res = await fetch(`${sandbox.url}/_sandbox/slack/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        user: 'U0FIN0001',
        channel: message.channel,
        ts: message.ts,
        actionId: 'billing_approve',
        value: encodeButtonValue({ w: handle.workflowId, r: 'an-older-request', a: 'approve' }),
      }),
    });
    assert.equal(((await res.json()) as { status: number }).status, 200);
    const said = await waitFor('the private answer', () => slackSystem.state.ephemerals.find((e) => e.user === 'U0FIN0001'));
    assert.match(said.text, /replaced/);
    assert.deepEqual(await acceptedDecisions(handle), []);
    await handle.terminate('test done');
  });

  it('records one decision for a double click', async () => {
    const { handle, message } = await startApproval({ required: 2 });
    const [a, b] = await Promise.all([click('U0FIN0001', message, 'billing_approve'), click('U0FIN0001', message, 'billing_approve')]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    // And a third click after the first was recorded.
    assert.equal((await click('U0FIN0001', message, 'billing_approve')).status, 200);
    assert.equal((await acceptedDecisions(handle)).length, 1);
    const updated = await waitFor('the message to show 1 of 2', () => {
      const m = slackSystem.state.messages.find((x) => x.ts === message.ts);
      return m && JSON.stringify(m.blocks).includes('1 of 2') ? m : undefined;
    });
    assert.ok(
      updated.blocks.some((b) => b.type === 'actions'),
      'buttons stay for the second approver',
    );
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await handle.terminate('test done');
  });

  it('completes a two-person approval with two different approvers and removes the buttons', async () => {
    const { handle, message } = await startApproval({ required: 2 });
    assert.equal((await click('U0FIN0001', message, 'billing_approve')).status, 200);
    await waitFor(
      'the first approval on the message',
      () => JSON.stringify(slackSystem.state.messages.find((x) => x.ts === message.ts)?.blocks).includes('1 of 2') || undefined,
    );
    assert.equal((await click('U0FIN0002', message, 'billing_approve')).status, 200);
    const result = (await handle.result()) as ApprovalFixtureResult;
    assert.equal(result.state, 'approved');
    assert.deepEqual(
      result.votes.map((v) => v.actorId),
      ['U0FIN0001', 'U0FIN0002'],
    );
    // The route signed each decision after Slack's signature checked out, with Slack's user as actor.
    for (const d of result.received) {
      const check = verifyDecision(TEST_DECISION_KEY, handle.workflowId, d);
      assert.ok(check.ok, JSON.stringify(check));
      assert.equal(check.ok && check.decision.source, 'slack');
    }
    const final = await waitFor('the final message', () => {
      const m = slackSystem.state.messages.find((x) => x.ts === message.ts);
      return m && JSON.stringify(m.blocks).includes('2 of 2') ? m : undefined;
    });
    assert.equal(final.blocks.filter((b) => b.type === 'actions').length, 0, 'no buttons left');
    assert.match(JSON.stringify(final.blocks), /Approved by <@U0FIN0001> at <!date\^\d+\^\{time\}\|\d\d:\d\d UTC>, 1 of 2/);
    // A click on the decided message (a stale client still shows the button) changes nothing and says so.
    const stale = await fetch(`${sandbox.url}/_sandbox/slack/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        user: 'U0FIN0002',
        channel: message.channel,
        ts: message.ts,
        actionId: 'billing_approve',
        value: encodeButtonValue({ w: handle.workflowId, r: 'an-older-request', a: 'approve' }),
      }),
    });
    assert.equal(((await stale.json()) as { status: number }).status, 200);
    const said = await waitFor('the private answer to the stale click', () =>
      slackSystem.state.ephemerals.find((e) => e.user === 'U0FIN0002' && /already decided/i.test(e.text)),
    );
    assert.match(said.text, /Nothing changed/);
    assert.equal((await acceptedDecisions(handle)).length, 2, 'the stale click added nothing');
  });

  it('opens the reason modal on Reject, and the submitted reason lands in the workflow history', async () => {
    const { handle, message } = await startApproval();
    assert.equal((await click('U0FIN0002', message, 'billing_reject')).status, 200);
    const view = await waitFor('the modal', () => slackSystem.state.views.find((v) => v.user === 'U0FIN0002' && v.open));
    assert.deepEqual(await acceptedDecisions(handle), [], 'opening the modal decides nothing');
    // An empty reason keeps the modal open with an error.
    const empty = await fetch(`${sandbox.url}/_sandbox/slack/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'U0FIN0002', viewId: view.id, values: { reason: { reason_input: '' } } }),
    });
    assert.match(((await empty.json()) as { body: string }).body, /response_action/);
    assert.equal(slackSystem.state.views.find((v) => v.id === view.id)?.open, true);
    const reason = 'Customer already received a credit note for INV-1001';
    const sub = await fetch(`${sandbox.url}/_sandbox/slack/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'U0FIN0002', viewId: view.id, values: { reason: { reason_input: reason } } }),
    });
    assert.equal(((await sub.json()) as { status: number }).status, 200);
    assert.equal(slackSystem.state.views.find((v) => v.id === view.id)?.open, false, 'an empty 200 closes the modal');
    const result = (await handle.result()) as ApprovalFixtureResult;
    assert.equal(result.state, 'rejected');
    const history = await handle.fetchHistory();
    const accepted = (history.events ?? []).find(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes,
    )?.workflowExecutionUpdateAcceptedEventAttributes;
    const arg = JSON.parse(Buffer.from(accepted?.acceptedRequest?.input?.args?.payloads?.[0]?.data ?? []).toString('utf8')) as {
      reason: string;
      actor: { id: string };
      action: string;
    };
    assert.deepEqual([arg.action, arg.actor.id, arg.reason], ['reject', 'U0FIN0002', reason]);
    const final = await waitFor('the rejected message', () => {
      const m = slackSystem.state.messages.find((x) => x.ts === message.ts);
      return m && !m.blocks.some((b) => b.type === 'actions') ? m : undefined;
    });
    assert.match(JSON.stringify(final.blocks), /Rejected by <@U0FIN0002>/);
  });

  it('Hand off… opens a modal with a user picker; an empty pick or oneself keeps it open; a pick becomes a signed hand-off', async () => {
    const { handle, message } = await startApproval();
    assert.equal((await click('U0FIN0001', message, 'billing_hand_off')).status, 200);
    const view = await waitFor('the modal', () => slackSystem.state.views.find((v) => v.user === 'U0FIN0001' && v.open));
    const picker = (view.view.blocks as { block_id: string; element: { type: string } }[]).find((b) => b.block_id === 'hand_to');
    assert.equal(picker?.element.type, 'users_select');
    assert.deepEqual(await acceptedDecisions(handle), [], 'opening the modal decides nothing');
    const submit = async (handTo: string) => {
      const res = await fetch(`${sandbox.url}/_sandbox/slack/submit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          user: 'U0FIN0001',
          viewId: view.id,
          values: { hand_to: { hand_to_input: handTo }, note: { note_input: 'Out today; card 4111 1111 1111 1111' } },
        }),
      });
      return (await res.json()) as { status: number; body: string };
    };
    assert.match((await submit('')).body, /Please choose the approver/);
    assert.match((await submit('U0FIN0001')).body, /cannot hand a request to yourself/);
    assert.deepEqual(await acceptedDecisions(handle), []);
    assert.equal((await submit('U0FIN0002')).status, 200);
    assert.equal(slackSystem.state.views.find((v) => v.id === view.id)?.open, false);
    const updated = await waitFor('the message showing the hand-off', () => {
      const m = slackSystem.state.messages.find((x) => x.ts === message.ts);
      return m && /Handed off by/.test(JSON.stringify(m.blocks)) ? m : undefined;
    });
    assert.match(JSON.stringify(updated.blocks), /Handed off by <@U0FIN0001> at [^"]* to <@U0FIN0002>/);
    const [accepted] = await acceptedDecisions(handle);
    const arg = JSON.parse(Buffer.from(accepted?.acceptedRequest?.input?.args?.payloads?.[0]?.data ?? []).toString('utf8')) as {
      action: string;
      actor: { id: string };
      handTo: string;
      reason: string;
      proof?: { mac: string };
    };
    // A card number typed into the note is suppressed at this edge, as the intake suppresses a call.
    assert.deepEqual(
      [arg.action, arg.actor.id, arg.handTo, arg.reason],
      ['hand_off', 'U0FIN0001', 'U0FIN0002', 'Out today; card [card number removed]'],
    );
    assert.ok(arg.proof?.mac, 'signed by the route');
    await handle.terminate('test done');
  });

  it('answers 503 (Slack shows the clicker an error) when Temporal cannot accept the decision in time', async () => {
    // A workflow on a queue no worker polls: the update can never be accepted.
    const handle = await client.workflow.start(FIXTURE, {
      taskQueue: uniqueTaskQueue('nobody'),
      workflowId: `slack-test-${randomUUID()}`,
      args: [{ requestId: 'r1', approvers: ['U0FIN0001'], required: 1, channel: 'C0FINANCE' }],
      workflowExecutionTimeout: '1 minute',
    });
    const payload = {
      type: 'block_actions',
      user: { id: 'U0FIN0001', username: 'dana.finance' },
      actions: [
        { action_id: 'billing_approve', type: 'button', value: encodeButtonValue({ w: handle.workflowId, r: 'r1', a: 'approve' }) },
      ],
    };
    const started = Date.now();
    const { body, headers } = signedForm(payload);
    const res = await fetch(`${api.url}/slack/interactions`, { method: 'POST', headers, body });
    assert.equal(res.status, 503);
    assert.ok(Date.now() - started < 3000, 'answered within Slack 3 s');
    await handle.terminate('test done');
  });

  it('refuses a malformed payload with 400 and acknowledges payload types it does not handle', async () => {
    const bad = signedForm({ type: 'block_actions', user: {}, actions: [] });
    assert.equal((await fetch(`${api.url}/slack/interactions`, { method: 'POST', headers: bad.headers, body: bad.body })).status, 400);
    const body = 'payload=not-json';
    const ts = Math.floor(Date.now() / 1000);
    const notJson = await fetch(`${api.url}/slack/interactions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': computeSlackSignature(SIGNING_SECRET, ts, body),
      },
      body,
    });
    assert.equal(notJson.status, 400);
    const array = signedForm([]);
    assert.equal(
      (await fetch(`${api.url}/slack/interactions`, { method: 'POST', headers: array.headers, body: array.body })).status,
      400,
      'a JSON array is not an interaction',
    );
    const shortcut = signedForm({ type: 'shortcut', callback_id: 'x', trigger_id: '1' });
    assert.equal(
      (await fetch(`${api.url}/slack/interactions`, { method: 'POST', headers: shortcut.headers, body: shortcut.body })).status,
      200,
    );
  });
});
