/**
 * POST /slack/events (Slack's Events API Request URL), in memory with a recording Home tab:
 * signatures, the URL verification, malformed bodies, retries, and the acknowledgement coming
 * before the (slow) publish.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createSlackEventsRouter } from '../../src/slack/events';
import { computeSlackSignature } from '../../src/slack/signing';
import { createLogger } from '../../src/logger';

const SECRET = 'test-slack-events-secret-0123456789';

function signed(body: string, opts: { secret?: string; timestamp?: number; headers?: Record<string, string> } = {}) {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': computeSlackSignature(opts.secret ?? SECRET, ts, body),
      ...opts.headers,
    },
    body,
  };
}

function homeOpened(user: string, eventId: string, tab = 'home') {
  return JSON.stringify({
    token: 'x',
    team_id: 'T0SANDBOX',
    api_app_id: 'A0BILLING',
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user, channel: 'D0FIN0001', tab, event_ts: '1.000001' },
  });
}

describe('Slack events: POST /slack/events', () => {
  let server: Server;
  let url: string;
  const published: string[] = [];
  let hold: Promise<void> | undefined;

  before(async () => {
    const app = express();
    app.use(
      '/slack',
      createSlackEventsRouter({
        signingSecret: SECRET,
        logger: createLogger({ level: 'silent' }),
        homeTab: {
          async publish(userId) {
            published.push(userId);
            await hold;
          },
        },
      }),
    );
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  beforeEach(() => {
    published.length = 0;
    hold = undefined;
  });
  after(() => server?.close());

  it('refuses forged, stale and unsigned requests with 401 and publishes nothing', async () => {
    const body = homeOpened('U0FIN0001', 'Ev-forged');
    const attempts = [
      signed(body, { secret: 'not-the-signing-secret-at-all' }),
      signed(body, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
      { method: 'POST', headers: { 'content-type': 'application/json' }, body },
    ];
    for (const a of attempts) {
      const res = await fetch(url, a);
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { error: 'invalid_signature', message: 'Slack signature missing, stale or wrong.' });
    }
    const good = signed(body);
    const tampered = await fetch(url, { ...good, body: body.replace('U0FIN0001', 'U0FIN0002') });
    assert.equal(tampered.status, 401);
    assert.deepEqual(published, []);
  });

  it('answers the URL verification with its challenge', async () => {
    const res = await fetch(
      url,
      signed(JSON.stringify({ token: 'x', challenge: 'c3eZbrw1aBm2rZgRNFdxV2595E9CY3gm', type: 'url_verification' })),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { challenge: 'c3eZbrw1aBm2rZgRNFdxV2595E9CY3gm' });
  });

  it('refuses malformed bodies with 400 and a clear error', async () => {
    const bodies = [
      'not json',
      '[]',
      JSON.stringify({ type: 'url_verification' }),
      JSON.stringify({ type: 'event_callback', event_id: 'Ev1' }),
      JSON.stringify({ type: 'event_callback', event_id: 'Ev2', event: { type: 'app_home_opened', tab: 'home' } }),
      JSON.stringify({ type: 'event_callback', event_id: 'Ev3', event: { type: 'app_home_opened', user: "U1' OR 1=1", tab: 'home' } }),
    ];
    for (const body of bodies) {
      const res = await fetch(url, signed(body));
      assert.equal(res.status, 400, body);
      assert.equal(((await res.json()) as { error: string }).error, 'bad_payload');
    }
    assert.deepEqual(published, []);
  });

  it('publishes the Home tab of whoever opened it, and nothing for the Messages tab or other events', async () => {
    assert.equal((await fetch(url, signed(homeOpened('U0FIN0001', 'Ev-home')))).status, 200);
    assert.equal((await fetch(url, signed(homeOpened('U0FIN0002', 'Ev-messages', 'messages')))).status, 200);
    const other = JSON.stringify({ type: 'event_callback', event_id: 'Ev-other', event: { type: 'app_mention', user: 'U0FIN0001' } });
    assert.equal((await fetch(url, signed(other))).status, 200);
    assert.equal((await fetch(url, signed(JSON.stringify({ type: 'app_rate_limited', minute_rate_limited: 1 })))).status, 200);
    assert.deepEqual(published, ['U0FIN0001']);
  });

  it('acknowledges before the publish is done (Slack allows 3 s)', async () => {
    let release!: () => void;
    hold = new Promise<void>((r) => (release = r));
    // The publish is held until after the answer is read: a route that waited for it would never
    // answer (the test would time out), so the answer itself is the proof; no wall clock needed.
    const res = await fetch(url, signed(homeOpened('U0FIN0001', 'Ev-slow')));
    assert.equal(res.status, 200, 'answered while the publish is still held');
    assert.deepEqual(published, ['U0FIN0001']);
    release();
  });

  it('publishes once for an event and its retries (X-Slack-Retry-Num)', async () => {
    const body = homeOpened('U0FIN0002', 'Ev-retried');
    assert.equal((await fetch(url, signed(body))).status, 200);
    for (const n of ['1', '2']) {
      const res = await fetch(url, signed(body, { headers: { 'x-slack-retry-num': n, 'x-slack-retry-reason': 'http_timeout' } }));
      assert.equal(res.status, 200);
    }
    // A retry whose first delivery never reached this process still publishes.
    const lost = homeOpened('U0FIN0001', 'Ev-first-lost');
    assert.equal(
      (await fetch(url, signed(lost, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_error' } }))).status,
      200,
    );
    assert.deepEqual(published, ['U0FIN0002', 'U0FIN0001']);
  });
});
