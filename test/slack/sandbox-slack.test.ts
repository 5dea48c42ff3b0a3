/**
 * Fidelity: the sandbox Slack system driven by the official @slack/web-api client (as Slack itself
 * would be), and our connector's error mapping against it.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { WebClient } from '@slack/web-api';
import { createSandboxApp } from '../../src/sandbox/core';
import { createSlackSystem } from '../../src/sandbox/systems/slack/system';
import { SANDBOX_SLACK_BOT_TOKEN } from '../../src/sandbox/systems/slack/seed';
import { createSlackApi } from '../../src/connectors/slack';
import { AuthError, NotFoundError, RateLimitedError, ValidationError } from '../../src/connectors/errors';
import { computeSlackSignature } from '../../src/slack/signing';

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('sandbox Slack system', () => {
  const slackSystem = createSlackSystem();
  const { app, state } = createSandboxApp([slackSystem]);
  let sandbox: { server: Server; url: string };
  let receiver: { server: Server; url: string };
  const received: { headers: Record<string, string | string[] | undefined>; raw: string }[] = [];
  const events: { headers: Record<string, string | string[] | undefined>; raw: string }[] = [];
  let eventsStatus = 200;
  let web: WebClient;
  const secret = 'sandbox-test-signing-secret';

  before(async () => {
    sandbox = await listen(app);
    const recv = express();
    recv.post('/interactions', express.raw({ type: () => true }), (req, res) => {
      received.push({ headers: req.headers, raw: (req.body as Buffer).toString('utf8') });
      res.status(200).end();
    });
    recv.post('/events', express.raw({ type: () => true }), (req, res) => {
      events.push({ headers: req.headers, raw: (req.body as Buffer).toString('utf8') });
      res.status(eventsStatus).end();
    });
    receiver = await listen(recv);
    slackSystem.configure({ interactionsUrl: `${receiver.url}/interactions`, eventsUrl: `${receiver.url}/events`, signingSecret: secret });
    web = new WebClient(SANDBOX_SLACK_BOT_TOKEN, {
      slackApiUrl: `${sandbox.url}/slack/api/`,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
  });
  beforeEach(async () => {
    await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
    received.length = 0;
    events.length = 0;
    eventsStatus = 200;
  });
  after(() => {
    sandbox?.server.close();
    receiver?.server.close();
  });

  it('answers auth.test, users.info and users.lookupByEmail with the seed workspace', async () => {
    const auth = await web.auth.test();
    assert.equal(auth.team_id, 'T0SANDBOX');
    const info = await web.users.info({ user: 'U0FIN0001' });
    assert.equal(info.user?.real_name, 'Dana Finance');
    const owner = await web.users.lookupByEmail({ email: 'olivia.owner@ourco.example' });
    assert.equal(owner.user?.id, 'U0OWN0001');
  });

  it('posts and updates a Block Kit message (form-encoded by WebClient) and records the request', async () => {
    const posted = await web.chat.postMessage({
      channel: 'C0FINANCE',
      text: 'Refund approval',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Refund*' } }],
    });
    assert.equal(posted.ok, true);
    assert.equal(posted.channel, 'C0FINANCE');
    assert.match(posted.ts ?? '', /^\d+\.\d{6}$/);
    const updated = await web.chat.update({ channel: 'C0FINANCE', ts: posted.ts as string, text: 'Approved', blocks: [] });
    assert.equal(updated.ok, true);
    assert.deepEqual(slackSystem.state.messages[0].blocks, []);
    assert.equal(slackSystem.state.messages[0].text, 'Approved');
    const rec = state.records.filter((r) => r.path === '/api/chat.postMessage');
    assert.equal(rec.length, 1);
    assert.equal(rec[0].headers.authorization, '[present]');
    assert.equal(rec[0].headers['content-type'], 'application/x-www-form-urlencoded');
  });

  it('accepts JSON bodies too (Content-Type: application/json)', async () => {
    const res = await fetch(`${sandbox.url}/slack/api/chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SANDBOX_SLACK_BOT_TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C0FINANCE', text: 'hello', blocks: [{ type: 'divider' }] }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { ok: boolean; message: { blocks: unknown[] } };
    assert.equal(body.ok, true);
    assert.deepEqual(body.message.blocks, [{ type: 'divider' }]);
  });

  it('answers errors as HTTP 200 ok:false, which the connector maps to named, non-retryable errors', async () => {
    const bad = createSlackApi({ baseUrl: `${sandbox.url}/slack/api/`, token: 'wrong-token' });
    await assert.rejects(bad.authTest(), (e: unknown) => e instanceof AuthError && e.code === 'invalid_auth' && e.nonRetryable);
    const api = createSlackApi({ baseUrl: `${sandbox.url}/slack/api/`, token: SANDBOX_SLACK_BOT_TOKEN });
    await assert.rejects(
      api.postMessage({ channel: 'C0NOPE', text: 'x' }),
      (e: unknown) => e instanceof NotFoundError && e.code === 'channel_not_found',
    );
    await assert.rejects(
      api.updateMessage({ channel: 'C0FINANCE', ts: '1.000000', text: 'x', blocks: [] }),
      (e: unknown) => e instanceof NotFoundError && e.code === 'message_not_found',
    );
    await assert.rejects(
      api.postMessage({ channel: 'C0FINANCE', text: 'x', blocks: [{ nope: 1 } as never] }),
      (e: unknown) => e instanceof ValidationError && e.code === 'invalid_blocks',
    );
    await assert.rejects(
      api.openView('123.not-issued', { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] }),
      (e: unknown) => e instanceof ValidationError && e.code === 'invalid_trigger_id',
    );
    assert.equal(await api.lookupUserIdByEmail('nobody@ourco.example'), undefined);
    const raw = await fetch(`${sandbox.url}/slack/api/chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"channel":"C0FINANCE","text":"x"}',
    });
    assert.equal(raw.status, 200);
    assert.deepEqual(await raw.json(), { ok: false, error: 'not_authed' });
  });

  it('rate limits with 429 + Retry-After, mapped to a retryable error carrying the delay', async () => {
    await fetch(`${sandbox.url}/_sandbox/faults/slack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rateLimitNext: 1, retryAfterSeconds: 7 }),
    });
    const api = createSlackApi({ baseUrl: `${sandbox.url}/slack/api/`, token: SANDBOX_SLACK_BOT_TOKEN });
    await assert.rejects(
      api.postMessage({ channel: 'C0FINANCE', text: 'x' }),
      (e: unknown) => e instanceof RateLimitedError && e.retryAfterMs === 7000 && !e.nonRetryable && e.nextRetryDelay === 7000,
    );
    assert.equal(slackSystem.state.messages.length, 0, 'a rate-limited post changes nothing');
  });

  it('sends a signed block_actions for a click, with a working trigger_id and response_url', async () => {
    const api = createSlackApi({ baseUrl: `${sandbox.url}/slack/api/`, token: SANDBOX_SLACK_BOT_TOKEN });
    const msg = await api.postMessage({
      channel: 'C0FINANCE',
      text: 'Approve?',
      blocks: [
        {
          type: 'actions',
          block_id: 'b1',
          elements: [
            {
              type: 'button',
              action_id: 'billing_approve',
              value: '{"w":"x","r":"r","a":"approve"}',
              text: { type: 'plain_text', text: 'Approve' },
            },
          ],
        },
      ],
    });
    const click = await fetch(`${sandbox.url}/_sandbox/slack/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'U0FIN0002', channel: msg.channel, ts: msg.ts, actionId: 'billing_approve' }),
    });
    assert.equal(((await click.json()) as { status: number }).status, 200);
    assert.equal(received.length, 1);
    const { headers, raw } = received[0];
    assert.equal(headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(headers['x-slack-signature'], computeSlackSignature(secret, headers['x-slack-request-timestamp'] as string, raw));
    const payload = JSON.parse(new URLSearchParams(raw).get('payload') as string) as {
      type: string;
      user: { id: string };
      actions: { value: string }[];
      trigger_id: string;
      response_url: string;
      container: { message_ts: string };
    };
    assert.equal(payload.type, 'block_actions');
    assert.equal(payload.user.id, 'U0FIN0002');
    assert.equal(payload.container.message_ts, msg.ts);
    assert.equal(payload.actions[0].value, '{"w":"x","r":"r","a":"approve"}');
    // The trigger opens exactly one modal.
    const modal = {
      type: 'modal',
      title: { type: 'plain_text', text: 'Reason' },
      blocks: [
        {
          type: 'input',
          block_id: 'reason',
          label: { type: 'plain_text', text: 'Why' },
          element: { type: 'plain_text_input', action_id: 'reason_input' },
        },
      ],
    };
    assert.match((await api.openView(payload.trigger_id, modal)).viewId, /^V/);
    await assert.rejects(
      api.openView(payload.trigger_id, modal),
      (e: unknown) => e instanceof ValidationError && e.code === 'exchanged_trigger_id',
    );
    // The response_url shows an ephemeral reply to the clicker only.
    const reply = await fetch(payload.response_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'Not authorized' }),
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(
      slackSystem.state.ephemerals.map((e) => [e.user, e.text]),
      [['U0FIN0002', 'Not authorized']],
    );
  });

  it('expires trigger ids after 3 seconds', async function () {
    this.timeout(10_000);
    const api = createSlackApi({ baseUrl: `${sandbox.url}/slack/api/`, token: SANDBOX_SLACK_BOT_TOKEN });
    const msg = await api.postMessage({
      channel: 'C0FINANCE',
      text: 'x',
      blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', value: 'v', text: { type: 'plain_text', text: 'A' } }] }],
    });
    await fetch(`${sandbox.url}/_sandbox/slack/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'U0FIN0001', channel: msg.channel, ts: msg.ts, actionId: 'a' }),
    });
    const payload = JSON.parse(new URLSearchParams(received[0].raw).get('payload') as string) as { trigger_id: string };
    await new Promise((r) => setTimeout(r, 3100));
    const modal = { type: 'modal', title: { type: 'plain_text', text: 'Reason' }, blocks: [] };
    await assert.rejects(
      api.openView(payload.trigger_id, modal),
      (e: unknown) => e instanceof ValidationError && e.code === 'expired_trigger_id',
    );
  });

  it('opens the Home tab as Slack does: a signed app_home_opened event_callback (JSON), once per opening', async () => {
    const page = await fetch(`${sandbox.url}/_sandbox/slack/home?as=U0FIN0001`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /data-testid="home-unpublished"/);
    const [event] = await waitForEvents(1);
    assert.equal(event.headers['content-type'], 'application/json');
    assert.equal(
      event.headers['x-slack-signature'],
      computeSlackSignature(secret, event.headers['x-slack-request-timestamp'] as string, event.raw),
    );
    const body = JSON.parse(event.raw) as {
      type: string;
      event_id: string;
      api_app_id: string;
      event: { type: string; user: string; tab: string; view?: unknown };
    };
    assert.equal(body.type, 'event_callback');
    assert.match(body.event_id, /^Ev/);
    assert.deepEqual([body.event.type, body.event.user, body.event.tab], ['app_home_opened', 'U0FIN0001', 'home']);
    assert.equal(body.event.view, undefined, 'no view before one was published');
    // The page's own re-renders are not openings.
    await fetch(`${sandbox.url}/_sandbox/slack/home?as=U0FIN0001&refresh=1`);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(events.length, 1);
  });

  it('retries an event the app did not acknowledge, with X-Slack-Retry-Num', async () => {
    eventsStatus = 500;
    const res = await fetch(`${sandbox.url}/_sandbox/slack/home/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'U0FIN0002' }),
    });
    const { deliveries } = (await res.json()) as { deliveries: { status: number }[] };
    assert.deepEqual(
      deliveries.map((d) => d.status),
      [500, 500],
    );
    assert.equal(events.length, 2);
    assert.equal(events[0].headers['x-slack-retry-num'], undefined);
    assert.equal(events[1].headers['x-slack-retry-num'], '1');
    assert.equal(events[1].headers['x-slack-retry-reason'], 'http_error');
    assert.equal(JSON.parse(events[1].raw).event_id, JSON.parse(events[0].raw).event_id, 'the same event');
  });

  it('renders the published Home view with buttons that send block_actions from the view container', async () => {
    const api = createSlackApi({ baseUrl: `${sandbox.url}/slack/api/`, token: SANDBOX_SLACK_BOT_TOKEN });
    const value = '{"w":"case-1","r":"req-1","a":"approve"}';
    const { viewId } = await api.publishView('U0FIN0001', {
      type: 'home',
      callback_id: 'billing_home',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Waiting on you' } },
        {
          type: 'actions',
          block_id: 'home_decision_req-1',
          elements: [{ type: 'button', action_id: 'billing_approve', value, text: { type: 'plain_text', text: 'Approve' } }],
        },
      ],
    });
    const html = await (await fetch(`${sandbox.url}/_sandbox/slack/home?as=U0FIN0001&refresh=1`)).text();
    assert.match(html, new RegExp(`<main id="home" data-testid="home-tab" data-user="U0FIN0001" data-view-id="${viewId}"`));
    assert.match(html, new RegExp(`<button class="btn " data-view-id="${viewId}" data-action-id="billing_approve"`));
    assert.doesNotMatch(
      await (await fetch(`${sandbox.url}/_sandbox/slack/home?as=U0FIN0002&refresh=1`)).text(),
      /billing_approve/,
      'only Dana’s tab',
    );
    const click = await fetch(`${sandbox.url}/_sandbox/slack/home/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'U0FIN0001', viewId, actionId: 'billing_approve' }),
    });
    assert.equal(((await click.json()) as { status: number }).status, 200);
    const { headers, raw } = received[0];
    assert.equal(headers['x-slack-signature'], computeSlackSignature(secret, headers['x-slack-request-timestamp'] as string, raw));
    const payload = JSON.parse(new URLSearchParams(raw).get('payload') as string) as Record<string, unknown> & {
      container: unknown;
      view: { id: string; type: string; callback_id: string };
      actions: { value: string; block_id: string }[];
    };
    assert.deepEqual(payload.container, { type: 'view', view_id: viewId });
    assert.deepEqual([payload.view.id, payload.view.type, payload.view.callback_id], [viewId, 'home', 'billing_home']);
    assert.deepEqual([payload.actions[0].value, payload.actions[0].block_id], [value, 'home_decision_req-1']);
    assert.ok(typeof payload.trigger_id === 'string', 'a trigger for the reason modal');
    for (const absent of ['channel', 'message', 'response_url'])
      assert.equal(payload[absent], undefined, `${absent} is not sent from a Home tab`);
    // Opening the tab now carries the current view, as Slack's event does.
    await fetch(`${sandbox.url}/_sandbox/slack/home?as=U0FIN0001`);
    const [opened] = await waitForEvents(1);
    assert.equal((JSON.parse(opened.raw) as { event: { view: { id: string } } }).event.view.id, viewId);
  });

  async function waitForEvents(n: number) {
    for (let i = 0; i < 50 && events.length < n; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(events.length, n, `${n} event(s) delivered`);
    return events;
  }
});
