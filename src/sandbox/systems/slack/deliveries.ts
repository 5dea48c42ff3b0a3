/**
 * The other direction: what Slack sends the service, signed as Slack signs it (v0 HMAC-SHA256 of
 * `v0:<timestamp>:<body>` with the app's signing secret): interactions (`block_actions`,
 * `view_submission`, form-encoded) to the interactions URL and Events API callbacks
 * (`app_home_opened`, JSON) to the events URL. What came back is recorded in the state.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { SLACK_SEED, type SlackSeedUser } from './seed';
import { INTERACTION_TIMEOUT_MS, type DeliveryResult, type SlackWorkspace } from './state';

export function signSlackRequest(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** The deliveries of one workspace. */
export function slackDeliveries(ws: SlackWorkspace) {
  const { state, settings, changed, homeJson } = ws;
  /** POSTs a body signed as Slack signs it; what came back is recorded. */
  async function send(
    type: DeliveryResult['type'],
    user: string,
    url: string | undefined,
    body: string,
    contentType: string,
    extraHeaders: Record<string, string> = {},
  ): Promise<DeliveryResult> {
    const started = Date.now();
    const at = new Date().toISOString();
    if (!url || !settings.signingSecret) {
      const what = type === 'event_callback' ? 'events URL' : 'interactions URL';
      const d: DeliveryResult = { type, user, status: 0, body: '', ms: 0, at, error: `${what} / signing secret not configured` };
      state.deliveries.push(d);
      return d;
    }
    const ts = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': signSlackRequest(settings.signingSecret, ts, body),
          'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
          ...extraHeaders,
        },
        body,
        signal: AbortSignal.timeout(INTERACTION_TIMEOUT_MS),
      });
      const d: DeliveryResult = { type, user, status: res.status, body: (await res.text()).slice(0, 2000), ms: Date.now() - started, at };
      state.deliveries.push(d);
      changed();
      return d;
    } catch (err) {
      // Slack shows the user a warning when the app does not answer within 3 s.
      const d: DeliveryResult = {
        type,
        user,
        status: 0,
        body: '',
        ms: Date.now() - started,
        at,
        error: (err as Error).name === 'TimeoutError' ? 'timeout (3 s)' : (err as Error).message,
      };
      state.deliveries.push(d);
      changed();
      return d;
    }
  }

  /** An interaction: form-encoded `payload=<json>` to the interactions URL. */
  const deliver = (type: 'block_actions' | 'view_submission', user: string, payload: Record<string, unknown>) =>
    send(
      type,
      user,
      settings.interactionsUrl,
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      'application/x-www-form-urlencoded',
    );

  /**
   * `app_home_opened` (tab home) as an Events API `event_callback`, JSON, to the events URL; with
   * the current view when one was published, as Slack does. Slack retries a delivery that got no
   * 2xx within 3 s up to three times (immediately, after 1 and 5 minutes) with X-Slack-Retry-Num;
   * the sandbox does the immediate retry only.
   */
  async function deliverHomeOpened(user: SlackSeedUser): Promise<DeliveryResult[]> {
    const home = state.homes[user.id];
    const now = Date.now();
    const body = JSON.stringify({
      token: 'deprecated-verification-token',
      team_id: SLACK_SEED.teamId,
      context_team_id: SLACK_SEED.teamId,
      context_enterprise_id: null,
      api_app_id: SLACK_SEED.appId,
      event: {
        type: 'app_home_opened',
        user: user.id,
        // The app's DM with the user; the sandbox has none, so a stable made-up id.
        channel: `D0${user.id.slice(1)}`,
        tab: 'home',
        event_ts: (now / 1000).toFixed(6),
        ...(home ? { view: homeJson(home) } : {}),
      },
      type: 'event_callback',
      event_id: `Ev${now.toString(36).toUpperCase()}${randomBytes(4).toString('hex').toUpperCase()}`,
      event_time: Math.floor(now / 1000),
      authorizations: [
        { enterprise_id: null, team_id: SLACK_SEED.teamId, user_id: SLACK_SEED.botUserId, is_bot: true, is_enterprise_install: false },
      ],
      is_ext_shared_channel: false,
    });
    const first = await send('event_callback', user.id, settings.eventsUrl, body, 'application/json');
    if (first.error?.includes('not configured') || (first.status >= 200 && first.status < 300)) return [first];
    const reason = first.error === 'timeout (3 s)' ? 'http_timeout' : first.error ? 'connection_failed' : 'http_error';
    return [
      first,
      await send('event_callback', user.id, settings.eventsUrl, body, 'application/json', {
        'x-slack-retry-num': '1',
        'x-slack-retry-reason': reason,
      }),
    ];
  }

  return { send, deliver, deliverHomeOpened };
}
export type SlackDeliveries = ReturnType<typeof slackDeliveries>;
