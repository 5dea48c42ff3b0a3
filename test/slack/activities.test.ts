/**
 * Slack activities against the sandbox Slack system: what they post, how they update, and that a
 * retried post (its first response lost) reuses the message instead of posting twice.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ApprovalRequestView } from '../../src/domain/views';
import { createSlackActivities, SLACK_MESSAGE_EVENT_TYPE } from '../../src/activities/slack';
import { createSlackApi } from '../../src/connectors/slack';
import { createSandboxApp } from '../../src/sandbox/core';
import { createSlackSystem } from '../../src/sandbox/systems/slack/system';
import { SANDBOX_SLACK_BOT_TOKEN } from '../../src/sandbox/systems/slack/seed';

const view = (over: Partial<ApprovalRequestView> = {}): ApprovalRequestView => ({
  workflowId: 'case-refund_request-call-act',
  requestId: 'req-act-1',
  caseType: 'refund_request',
  title: 'Refund approval: USD 450.00 on INV-1002',
  urgency: 'normal',
  noteLines: ['Refund of USD 450.00'],
  fields: [{ label: 'Amount', value: 'USD 450.00' }],
  actions: [
    { action: 'approve', label: 'Approve', style: 'primary' },
    { action: 'reject', label: 'Reject', style: 'danger' },
  ],
  eligibleApprovers: ['U0FIN0001'],
  required: 1,
  votes: [],
  state: 'open',
  statusLine: 'Waiting for a decision',
  mentions: ['U0OWN0001'],
  links: [],
  ...over,
});

describe('Slack activities', () => {
  const slackSystem = createSlackSystem();
  const { app, state } = createSandboxApp([slackSystem]);
  let server: Server;
  let acts: ReturnType<typeof createSlackActivities>;
  /** Runs an activity as attempt `attempt` of a step in the case's workflow. */
  const run = <A extends unknown[], R>(attempt: number, fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
    new MockActivityEnvironment({ attempt, workflowExecution: { workflowId: 'case-refund_request-call-act', runId: 'run-1' } }).run(
      fn,
      ...args,
    );

  before(async () => {
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    acts = createSlackActivities({ slack: createSlackApi({ baseUrl: `${url}/slack/api/`, token: SANDBOX_SLACK_BOT_TOKEN }) });
  });
  beforeEach(() => {
    slackSystem.reset();
    state.clear();
  });
  after(() => server?.close());

  it('posts the approval request with buttons, fallback text and case metadata', async () => {
    const ref = await run(1, acts.postApprovalRequest, { step: 'refund.approval.post', channel: 'C0FINANCE', view: view() });
    const msg = slackSystem.state.messages.find((m) => m.ts === ref.ts);
    assert.ok(msg);
    assert.equal(ref.channel, 'C0FINANCE');
    assert.match(msg.text, /Refund approval: USD 450.00 on INV-1002/);
    assert.deepEqual(msg.metadata, {
      event_type: SLACK_MESSAGE_EVENT_TYPE,
      event_payload: { workflow_id: 'case-refund_request-call-act', step: 'refund.approval.post' },
    });
    assert.equal(msg.blocks.filter((b) => b.type === 'actions').length, 1);
  });

  it('reuses the message an earlier attempt posted when the activity is retried', async () => {
    const first = await run(1, acts.postApprovalRequest, { step: 'refund.approval.post', channel: 'C0FINANCE', view: view() });
    // Attempt 2 (the first response was lost, as far as Temporal knows).
    const second = await run(2, acts.postApprovalRequest, { step: 'refund.approval.post', channel: 'C0FINANCE', view: view() });
    assert.deepEqual(second, first);
    assert.equal(slackSystem.state.messages.length, 1, 'one message, not two');
    // A different step is a different message, even on a retry.
    await run(2, acts.postApprovalRequest, {
      step: 'refund.approval.2.post',
      channel: 'C0FINANCE',
      view: view({ requestId: 'req-act-2' }),
    });
    assert.equal(slackSystem.state.messages.length, 2);
  });

  it('updates the message after the decision: buttons removed, who and when shown', async () => {
    const ref = await run(1, acts.postApprovalRequest, { step: 'p', channel: 'C0FINANCE', view: view() });
    await run(1, acts.updateApprovalMessage, {
      step: 'u',
      message: ref,
      view: view({
        state: 'approved',
        votes: [{ actorId: 'U0FIN0001', action: 'approve', at: '2026-11-26T14:02:00Z' }],
        statusLine: 'Approved by <@U0FIN0001>',
      }),
    });
    const msg = slackSystem.state.messages.find((m) => m.ts === ref.ts);
    assert.equal(msg?.blocks.filter((b) => b.type === 'actions').length, 0);
    assert.match(JSON.stringify(msg?.blocks), /Approved by <@U0FIN0001> at <!date\^\d+\^\{time\}\|14:02 UTC>/);
    assert.equal(msg?.text, 'Refund approval: USD 450.00 on INV-1002: Approved by @U0FIN0001');
  });

  it('posts reminders in the thread, mentioning who still has to decide', async () => {
    const ref = await run(1, acts.postApprovalRequest, { step: 'p', channel: 'C0FINANCE', view: view() });
    await run(1, acts.postApprovalReminder, { step: 'r1', message: ref, text: 'Still waiting for a decision.', mentions: ['U0FIN0001'] });
    const reply = slackSystem.state.messages.find((m) => m.threadTs === ref.ts);
    assert.equal(reply?.text, '<@U0FIN0001> Still waiting for a decision.');
    // A retried reminder finds its earlier reply in the thread instead of nagging twice.
    const again = await run(2, acts.postApprovalReminder, {
      step: 'r1',
      message: ref,
      text: 'Still waiting for a decision.',
      mentions: ['U0FIN0001'],
    });
    assert.equal(again.ts, reply?.ts);
    assert.equal(slackSystem.state.messages.filter((m) => m.threadTs === ref.ts).length, 1);
  });

  it('posts a finance alert with an "I\'m on it" button when it has a request id', async () => {
    const ref = await run(1, acts.postFinanceAlert, {
      step: 'alert',
      channel: 'C0FINANCE',
      view: {
        workflowId: 'w',
        title: 'VIP cannot pay',
        urgency: 'urgent',
        noteLines: ['Globex cannot pay INV-2001'],
        fields: [],
        mentions: ['U0OWN0002'],
        links: [],
        actions: [{ action: 'acknowledge', label: "I'm on it", style: 'primary' }],
        requestId: 'ack-1',
      },
    });
    const msg = slackSystem.state.messages.find((m) => m.ts === ref.ts);
    assert.match(JSON.stringify(msg?.blocks), /I'm on it/);
    assert.match(JSON.stringify(msg?.blocks), /<@U0OWN0002>/);
  });

  it('fails with a non-retryable NotFoundError for an unknown channel', async () => {
    await assert.rejects(
      run(1, acts.postApprovalRequest, { step: 'p', channel: 'C0NOWHERE', view: view() }),
      (e: unknown) => (e as { type?: string }).type === 'NotFoundError' && (e as { nonRetryable?: boolean }).nonRetryable === true,
    );
  });
});
