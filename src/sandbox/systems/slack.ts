/**
 * Slack stand-in: the Web API methods the service uses, at Slack's paths (`/api/<method>`, JSON or
 * form bodies, HTTP 200 with `ok:false` for errors, bearer bot token), plus the other direction:
 * a channel page whose buttons send properly signed `block_actions` to the service's Request URL,
 * modals opened by `views.open` whose submit sends a signed `view_submission`, and `response_url`
 * hooks that show ephemeral replies to the clicking user.
 *
 * The App Home tab too: `views.publish` keeps one `home` view per user, the Home page shows it with
 * working buttons (signed `block_actions` from a `view` container, as Slack sends them), and
 * opening the page sends a signed `app_home_opened` event to the service's Events Request URL.
 *
 * Control (under /_sandbox/slack): `GET /channel?as=<user>` (the page), `GET /home?as=<user>` (the
 * Home tab; opening it sends `app_home_opened`, `&refresh=1` only re-renders), `GET /state`,
 * `POST /click`, `POST /home/click`, `POST /home/open`, `POST /submit`, `POST /close`,
 * `POST /config {interactionsUrl, eventsUrl, signingSecret}`.
 *
 * It must not import service code: it signs requests the way Slack does, on its own.
 */
import { createHmac, randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { SandboxSystem } from '../core';
import { renderSlackHomePage, renderSlackPage } from '../pages/slack-page';

/** The bot token the sandbox accepts (mirrors the service's SANDBOX_TOKENS.slack; not a secret). */
export const SANDBOX_SLACK_BOT_TOKEN = 'sandbox-slack-bot-token';

/** Seed: docs/sandbox-seed.md § Slack. */
export const SLACK_SEED = {
  teamId: 'T0SANDBOX',
  teamDomain: 'sandbox',
  appId: 'A0BILLING',
  botUserId: 'U0BOT0001',
  botId: 'B0BILLING',
  channels: [{ id: 'C0FINANCE', name: 'finance' }],
  users: [
    { id: 'U0FIN0001', username: 'dana.finance', realName: 'Dana Finance', email: 'dana.finance@ourco.example', role: 'approver' },
    { id: 'U0FIN0002', username: 'sam.ledger', realName: 'Sam Ledger', email: 'sam.ledger@ourco.example', role: 'approver' },
    { id: 'U0CFO0001', username: 'casey.cfo', realName: 'Casey CFO', email: 'casey.cfo@ourco.example', role: 'second-tier approver' },
    {
      id: 'U0AGT0001',
      username: 'alex.agent',
      realName: 'Alex Agent',
      email: 'alex.agent@ourco.example',
      role: 'support agent (not an approver)',
    },
    { id: 'U0OWN0001', username: 'olivia.owner', realName: 'Olivia Owner', email: 'olivia.owner@ourco.example', role: 'account owner' },
    { id: 'U0OWN0002', username: 'omar.owner', realName: 'Omar Owner', email: 'omar.owner@ourco.example', role: 'account owner' },
  ],
} as const;

export type SlackSeedUser = (typeof SLACK_SEED.users)[number];

/** The clicked button as Slack puts it into `block_actions.actions[]`. */
function clickedButton(
  actionId: string | undefined,
  blockId: string | undefined,
  element: Record<string, unknown> | undefined,
  value?: string,
) {
  return {
    action_id: actionId,
    block_id: blockId,
    text: element?.text,
    // What the client rendered: a stale page sends the stale value, as a real client can.
    value: value ?? element?.value,
    ...(element?.style ? { style: element.style } : {}),
    type: 'button',
    action_ts: `${(Date.now() / 1000).toFixed(6)}`,
  };
}

/** Slack's limits the sandbox enforces. */
const TRIGGER_TTL_MS = 3000;
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const RESPONSE_URL_MAX_USES = 5;
const INTERACTION_TIMEOUT_MS = 3000;

export interface SandboxSlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Record<string, unknown>[];
  user: string;
  botId?: string;
  threadTs?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  edited?: { user: string; ts: string };
}

export interface SandboxEphemeral {
  channel: string;
  user: string;
  ts: string;
  text: string;
  blocks?: Record<string, unknown>[];
}

export interface SandboxView {
  id: string;
  user: string;
  view: Record<string, unknown>;
  open: boolean;
  /** Errors the app answered with (`response_action: errors`), shown under the inputs. */
  errors?: Record<string, string>;
}

/** A user's App Home tab as the app last published it (views.publish). */
export interface SandboxHomeView {
  /** Stays the same across publishes for the user (our reading: Slack answers with the Home view's id). */
  id: string;
  user: string;
  view: Record<string, unknown>;
  hash: string;
  publishedAt: string;
}

/** What happened when the sandbox delivered an interaction (or an Events API event) to the service. */
export interface DeliveryResult {
  type: 'block_actions' | 'view_submission' | 'event_callback';
  user: string;
  status: number;
  body: string;
  ms: number;
  at: string;
  error?: string;
}

export interface SlackSandboxOptions {
  /** The service's Request URL, e.g. http://127.0.0.1:3000/slack/interactions. Env: SANDBOX_SLACK_INTERACTIONS_URL. */
  interactionsUrl?: string;
  /** The service's Events API Request URL, e.g. http://127.0.0.1:3000/slack/events. Env: SANDBOX_SLACK_EVENTS_URL. */
  eventsUrl?: string;
  /** The app's signing secret (shared with the service). Env: SANDBOX_SLACK_SIGNING_SECRET. */
  signingSecret?: string;
  botToken?: string;
}

export interface SlackSandboxState {
  messages: SandboxSlackMessage[];
  ephemerals: SandboxEphemeral[];
  views: SandboxView[];
  /** Home tab views by user id. */
  homes: Record<string, SandboxHomeView>;
  deliveries: DeliveryResult[];
  version: number;
}

const ok = (res: Response, body: Record<string, unknown> = {}) => res.json({ ok: true, ...body });
const fail = (res: Response, error: string, extra: Record<string, unknown> = {}) => res.json({ ok: false, error, ...extra });

/** Form bodies carry JSON fields (blocks, view, metadata) as strings. */
function jsonField(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return Symbol.for('invalid');
  }
}

/** Messages take at most 50 blocks; modals and Home tabs 100. */
function validBlocks(v: unknown, max = 50): v is Record<string, unknown>[] {
  return (
    Array.isArray(v) &&
    v.length <= max &&
    v.every((b) => typeof b === 'object' && b !== null && typeof (b as { type?: unknown }).type === 'string')
  );
}

export function signSlackRequest(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function createSlackSystem(
  opts: SlackSandboxOptions = {},
): SandboxSystem & { state: SlackSandboxState; configure(o: SlackSandboxOptions): void } {
  const settings = {
    interactionsUrl: opts.interactionsUrl ?? process.env.SANDBOX_SLACK_INTERACTIONS_URL,
    eventsUrl: opts.eventsUrl ?? process.env.SANDBOX_SLACK_EVENTS_URL,
    signingSecret: opts.signingSecret ?? process.env.SANDBOX_SLACK_SIGNING_SECRET,
    botToken: opts.botToken ?? SANDBOX_SLACK_BOT_TOKEN,
  };
  const state: SlackSandboxState = { messages: [], ephemerals: [], views: [], homes: {}, deliveries: [], version: 0 };
  const triggers = new Map<string, { user: string; expiresAt: number; used: boolean }>();
  const responseUrls = new Map<string, { channel: string; messageTs?: string; user: string; uses: number; expiresAt: number }>();
  let tsSeq = 0;
  let viewSeq = 0;

  const reset = () => {
    state.messages = [];
    state.ephemerals = [];
    state.views = [];
    state.homes = {};
    state.deliveries = [];
    state.version++;
    triggers.clear();
    responseUrls.clear();
  };

  const changed = () => {
    state.version++;
  };
  const nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++tsSeq).padStart(6, '0')}`;
  const findUser = (id: unknown) => SLACK_SEED.users.find((u) => u.id === id);
  const findChannel = (id: unknown) => SLACK_SEED.channels.find((c) => c.id === id);
  const findMessage = (channel: unknown, ts: unknown) => state.messages.find((m) => m.channel === channel && m.ts === ts);
  const messageJson = (m: SandboxSlackMessage) => ({
    type: 'message',
    user: m.user,
    bot_id: m.botId,
    app_id: SLACK_SEED.appId,
    text: m.text,
    blocks: m.blocks,
    ts: m.ts,
    team: SLACK_SEED.teamId,
    ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
    ...(m.metadata ? { metadata: m.metadata } : {}),
    ...(m.edited ? { edited: m.edited } : {}),
  });
  const userJson = (u: SlackSeedUser) => ({
    id: u.id,
    team_id: SLACK_SEED.teamId,
    name: u.username,
    real_name: u.realName,
    is_bot: false,
    deleted: false,
    profile: { real_name: u.realName, display_name: u.realName, email: u.email },
  });
  /** A Home view as Slack returns it (views.publish answer, block_actions `view`, app_home_opened `view`). */
  const homeJson = (h: SandboxHomeView) => ({
    id: h.id,
    team_id: SLACK_SEED.teamId,
    type: 'home',
    close: null,
    submit: null,
    blocks: (h.view.blocks as unknown[]) ?? [],
    private_metadata: typeof h.view.private_metadata === 'string' ? h.view.private_metadata : '',
    callback_id: typeof h.view.callback_id === 'string' ? h.view.callback_id : '',
    state: { values: {} },
    hash: h.hash,
    clear_on_close: false,
    notify_on_close: false,
    root_view_id: h.id,
    previous_view_id: null,
    app_id: SLACK_SEED.appId,
    external_id: typeof h.view.external_id === 'string' ? h.view.external_id : '',
    app_installed_team_id: SLACK_SEED.teamId,
    bot_id: SLACK_SEED.botId,
  });
  const issueTrigger = (user: string) => {
    const id = `${Date.now()}.${randomBytes(6).toString('hex')}`;
    triggers.set(id, { user, expiresAt: Date.now() + TRIGGER_TTL_MS, used: false });
    return id;
  };

  // --- Web API methods -------------------------------------------------------------------------
  type Handler = (args: Record<string, unknown>, res: Response) => void;
  const methods: Record<string, Handler> = {
    'auth.test': (_a, res) =>
      ok(res, {
        url: `https://${SLACK_SEED.teamDomain}.slack.com/`,
        team: 'Sandbox',
        user: 'billing-bot',
        team_id: SLACK_SEED.teamId,
        user_id: SLACK_SEED.botUserId,
        bot_id: SLACK_SEED.botId,
      }),

    'chat.postMessage': (a, res) => {
      if (!findChannel(a.channel)) return fail(res, 'channel_not_found');
      const blocks = a.blocks === undefined ? undefined : jsonField(a.blocks);
      if (blocks !== undefined && !validBlocks(blocks)) return fail(res, 'invalid_blocks');
      const text = typeof a.text === 'string' ? a.text : '';
      if (!text && !blocks) return fail(res, 'no_text');
      if (text.length > 40_000) return fail(res, 'msg_too_long');
      const metadata = a.metadata === undefined ? undefined : jsonField(a.metadata);
      if (
        metadata !== undefined &&
        (typeof metadata !== 'object' || metadata === null || typeof (metadata as { event_type?: unknown }).event_type !== 'string')
      ) {
        return fail(res, 'invalid_metadata_format');
      }
      if (a.thread_ts !== undefined && !findMessage(a.channel, a.thread_ts)) return fail(res, 'thread_not_found');
      const msg: SandboxSlackMessage = {
        channel: a.channel as string,
        ts: nextTs(),
        text,
        blocks: blocks ?? [],
        user: SLACK_SEED.botUserId,
        botId: SLACK_SEED.botId,
        ...(typeof a.thread_ts === 'string' ? { threadTs: a.thread_ts } : {}),
        ...(metadata ? { metadata: metadata as SandboxSlackMessage['metadata'] } : {}),
      };
      state.messages.push(msg);
      changed();
      ok(res, { channel: msg.channel, ts: msg.ts, message: messageJson(msg) });
    },

    'chat.update': (a, res) => {
      if (!findChannel(a.channel)) return fail(res, 'channel_not_found');
      const msg = findMessage(a.channel, a.ts);
      if (!msg) return fail(res, 'message_not_found');
      if (msg.user !== SLACK_SEED.botUserId) return fail(res, 'cant_update_message');
      const blocks = a.blocks === undefined ? undefined : jsonField(a.blocks);
      if (blocks !== undefined && !validBlocks(blocks)) return fail(res, 'invalid_blocks');
      if (typeof a.text === 'string') msg.text = a.text;
      if (blocks !== undefined) msg.blocks = blocks;
      msg.edited = { user: SLACK_SEED.botUserId, ts: nextTs() };
      changed();
      ok(res, { channel: msg.channel, ts: msg.ts, text: msg.text, message: messageJson(msg) });
    },

    'chat.postEphemeral': (a, res) => {
      if (!findChannel(a.channel)) return fail(res, 'channel_not_found');
      if (!findUser(a.user)) return fail(res, 'user_not_found');
      const blocks = a.blocks === undefined ? undefined : jsonField(a.blocks);
      if (blocks !== undefined && !validBlocks(blocks)) return fail(res, 'invalid_blocks');
      const text = typeof a.text === 'string' ? a.text : '';
      if (!text && !blocks) return fail(res, 'no_text');
      const e: SandboxEphemeral = {
        channel: a.channel as string,
        user: a.user as string,
        ts: nextTs(),
        text,
        ...(blocks ? { blocks } : {}),
      };
      state.ephemerals.push(e);
      changed();
      ok(res, { message_ts: e.ts });
    },

    'views.open': (a, res) => {
      if (typeof a.trigger_id !== 'string') return fail(res, 'invalid_arguments');
      const trigger = triggers.get(a.trigger_id);
      if (!trigger) return fail(res, 'invalid_trigger_id');
      if (trigger.used) return fail(res, 'exchanged_trigger_id');
      if (Date.now() > trigger.expiresAt) return fail(res, 'expired_trigger_id');
      const view = jsonField(a.view) as Record<string, unknown> | undefined;
      const title = (view?.title as { text?: unknown } | undefined)?.text;
      if (!view || view.type !== 'modal' || typeof title !== 'string' || title.length > 24 || !validBlocks(view.blocks, 100)) {
        return fail(res, 'invalid_arguments');
      }
      if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) return fail(res, 'invalid_arguments');
      trigger.used = true;
      const id = `V${String(++viewSeq).padStart(8, '0')}`;
      const stored: SandboxView = { id, user: trigger.user, view, open: true };
      // One modal per user at a time, as in a Slack client.
      for (const v of state.views) if (v.user === trigger.user) v.open = false;
      state.views.push(stored);
      changed();
      ok(res, {
        view: { ...view, id, team_id: SLACK_SEED.teamId, app_id: SLACK_SEED.appId, state: { values: {} }, hash: `${Date.now()}.${id}` },
      });
    },

    // Slack: user_id and view required, a `home` view of at most 100 blocks, private_metadata up to
    // 3000 and callback_id up to 255 characters, 250 kB in all; `hash` (optional) must match the
    // stored view's, else hash_conflict. An unknown user answers user_not_found (our reading).
    'views.publish': (a, res) => {
      if (typeof a.user_id !== 'string' || !a.user_id || a.view === undefined) return fail(res, 'invalid_arguments');
      if (!findUser(a.user_id)) return fail(res, 'user_not_found');
      if (typeof a.view === 'string' && a.view.length > 250_000) return fail(res, 'view_too_large');
      const view = jsonField(a.view) as Record<string, unknown> | undefined;
      if (
        !view ||
        typeof view !== 'object' ||
        view.type !== 'home' ||
        !validBlocks(view.blocks, 100) ||
        (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) ||
        (typeof view.callback_id === 'string' && view.callback_id.length > 255)
      ) {
        return fail(res, 'invalid_arguments');
      }
      if (JSON.stringify(view).length > 250_000) return fail(res, 'view_too_large');
      const before = state.homes[a.user_id];
      if (typeof a.hash === 'string' && a.hash && before && a.hash !== before.hash) return fail(res, 'hash_conflict');
      const id = before?.id ?? `V${String(++viewSeq).padStart(8, '0')}`;
      const home: SandboxHomeView = {
        id,
        user: a.user_id,
        view,
        hash: `${(Date.now() / 1000).toFixed(6)}.${randomBytes(4).toString('hex')}`,
        publishedAt: new Date().toISOString(),
      };
      state.homes[a.user_id] = home;
      changed();
      ok(res, { view: homeJson(home) });
    },

    'users.info': (a, res) => {
      const u = findUser(a.user);
      if (!u) return fail(res, 'user_not_found');
      ok(res, { user: userJson(u) });
    },

    'users.lookupByEmail': (a, res) => {
      const email = typeof a.email === 'string' ? a.email.toLowerCase() : '';
      const u = SLACK_SEED.users.find((x) => x.email === email);
      if (!u) return fail(res, 'users_not_found');
      ok(res, { user: userJson(u) });
    },

    'conversations.history': (a, res) => {
      if (!findChannel(a.channel)) return fail(res, 'channel_not_found');
      const limit = Math.min(Number(a.limit ?? 100) || 100, 999);
      const includeMeta = a.include_all_metadata === true || a.include_all_metadata === 'true';
      const msgs = state.messages
        .filter((m) => m.channel === a.channel && !m.threadTs)
        .slice(-limit)
        .reverse()
        .map((m) => {
          const j = messageJson(m);
          if (!includeMeta) delete (j as { metadata?: unknown }).metadata;
          return j;
        });
      ok(res, { messages: msgs, has_more: false });
    },

    'conversations.replies': (a, res) => {
      if (!findChannel(a.channel)) return fail(res, 'channel_not_found');
      const parent = findMessage(a.channel, a.ts);
      if (!parent) return fail(res, 'thread_not_found');
      const includeMeta = a.include_all_metadata === true || a.include_all_metadata === 'true';
      const msgs = [parent, ...state.messages.filter((m) => m.channel === a.channel && m.threadTs === a.ts)].map((m) => {
        const j = messageJson(m);
        if (!includeMeta) delete (j as { metadata?: unknown }).metadata;
        return j;
      });
      ok(res, { messages: msgs.slice(0, Math.min(Number(a.limit ?? 1000) || 1000, 1000)), has_more: false });
    },
  };

  const router = () => {
    const r = express.Router();
    // response_url hooks (https://hooks.slack.com/actions/...): no bearer token, the URL is the credential.
    r.post('/hooks/actions/:team/:id', (req, res) => {
      const hook = responseUrls.get(req.params.id);
      if (!hook || Date.now() > hook.expiresAt) return res.status(404).send('no_active_hooks');
      if (hook.uses >= RESPONSE_URL_MAX_USES) return res.status(404).send('used_url');
      hook.uses++;
      const body = (req.body ?? {}) as {
        text?: string;
        blocks?: unknown;
        replace_original?: boolean | string;
        delete_original?: boolean | string;
        response_type?: string;
      };
      const msg = hook.messageTs ? findMessage(hook.channel, hook.messageTs) : undefined;
      if (body.delete_original === true || body.delete_original === 'true') {
        if (msg) state.messages.splice(state.messages.indexOf(msg), 1);
      } else if (body.replace_original === true || body.replace_original === 'true') {
        if (!msg) return res.status(404).send('message_not_found');
        msg.text = body.text ?? msg.text;
        const blocks = jsonField(body.blocks);
        msg.blocks = validBlocks(blocks) ? blocks : [];
        msg.edited = { user: SLACK_SEED.botUserId, ts: nextTs() };
      } else if (body.response_type === 'in_channel') {
        const blocks = jsonField(body.blocks);
        state.messages.push({
          channel: hook.channel,
          ts: nextTs(),
          text: body.text ?? '',
          blocks: validBlocks(blocks) ? blocks : [],
          user: SLACK_SEED.botUserId,
          botId: SLACK_SEED.botId,
        });
      } else {
        const blocks = jsonField(body.blocks);
        state.ephemerals.push({
          channel: hook.channel,
          user: hook.user,
          ts: nextTs(),
          text: body.text ?? '',
          ...(validBlocks(blocks) ? { blocks } : {}),
        });
      }
      changed();
      res.type('text').send('ok');
    });

    r.post('/api/:method', (req, res) => {
      const args = {
        ...(req.query as Record<string, unknown>),
        ...((req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? req.body : {}) as Record<string, unknown>),
      };
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof args.token === 'string' ? args.token : undefined;
      if (!token) return fail(res, 'not_authed');
      if (token !== settings.botToken) return fail(res, 'invalid_auth');
      const handler = methods[req.params.method];
      if (!handler) return res.status(404).json({ ok: false, error: 'unknown_method' });
      handler(args, res);
    });
    return r;
  };

  // --- The other direction: deliveries to the service -----------------------------------------
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

  const baseUrl = (req: Request) => `${req.protocol}://${req.get('host')}`;

  const controlRouter = () => {
    const r = express.Router();
    r.get('/channel', (req, res) => {
      res.type('html').send(
        renderSlackPage({
          state,
          seed: SLACK_SEED,
          as: typeof req.query.as === 'string' ? req.query.as : undefined,
          channel: SLACK_SEED.channels[0].id,
        }),
      );
    });
    /**
     * The Home tab as `as` sees it. Opening it sends `app_home_opened` to the service, as Slack does
     * when someone opens the tab (in the background: the page shows the view published so far and
     * reloads when a new one arrives). `refresh=1` only re-renders (the page's own reloads use it).
     */
    r.get('/home', (req, res) => {
      const me = findUser(req.query.as) ?? SLACK_SEED.users[0];
      if (req.query.refresh !== '1') void deliverHomeOpened(me);
      res.type('html').send(renderSlackHomePage({ state, seed: SLACK_SEED, as: me.id }));
    });
    /** Opening the Home tab without the page: `{user}`; answers with the delivery (or deliveries, with a retry). */
    r.post('/home/open', async (req, res) => {
      const user = findUser((req.body as { user?: unknown } | undefined)?.user);
      if (!user) return res.status(400).json({ error: 'unknown user' });
      res.json({ deliveries: await deliverHomeOpened(user) });
    });
    /** A click on a button of the user's Home tab: `{user, actionId}`; `value`/`blockId` as rendered (a stale page sends stale values). */
    r.post('/home/click', async (req, res) => {
      const b = (req.body ?? {}) as { user?: string; viewId?: string; actionId?: string; value?: string; blockId?: string };
      const user = findUser(b.user);
      if (!user) return res.status(400).json({ error: 'unknown user' });
      const home = state.homes[user.id];
      if (!home || (b.viewId !== undefined && b.viewId !== home.id))
        return res.status(404).json({ error: 'no Home tab published for this user' });
      let element: Record<string, unknown> | undefined;
      let blockId = b.blockId;
      for (const block of (home.view.blocks ?? []) as Record<string, unknown>[]) {
        const els = (block.elements ?? []) as Record<string, unknown>[];
        const hit = els.find((e) => e.action_id === b.actionId && (b.blockId === undefined || block.block_id === b.blockId));
        if (hit) {
          element = hit;
          blockId = block.block_id as string | undefined;
          break;
        }
      }
      if (!element && b.value === undefined) return res.status(409).json({ error: 'button not on the Home tab (any more)' });
      // As Slack sends it from a Home tab: the view is the container; no channel, message or response_url.
      const payload = {
        type: 'block_actions',
        user: { id: user.id, username: user.username, name: user.username, team_id: SLACK_SEED.teamId },
        api_app_id: SLACK_SEED.appId,
        token: 'deprecated-verification-token',
        container: { type: 'view', view_id: home.id },
        trigger_id: issueTrigger(user.id),
        team: { id: SLACK_SEED.teamId, domain: SLACK_SEED.teamDomain },
        enterprise: null,
        is_enterprise_install: false,
        view: homeJson(home),
        actions: [clickedButton(b.actionId, blockId, element, b.value)],
      };
      res.json(await deliver('block_actions', user.id, payload));
    });
    r.get('/state', (_req, res) => {
      res.json({ ...state, configured: Boolean(settings.interactionsUrl && settings.signingSecret) });
    });
    r.get('/version', (_req, res) => {
      res.json({ version: state.version });
    });
    r.post('/config', (req, res) => {
      const b = (req.body ?? {}) as SlackSandboxOptions;
      if (b.interactionsUrl !== undefined) settings.interactionsUrl = b.interactionsUrl;
      if (b.eventsUrl !== undefined) settings.eventsUrl = b.eventsUrl;
      if (b.signingSecret !== undefined) settings.signingSecret = b.signingSecret;
      res.json({
        configured: Boolean(settings.interactionsUrl && settings.signingSecret),
        eventsConfigured: Boolean(settings.eventsUrl && settings.signingSecret),
      });
    });

    /** A click on a button as the given user: `{user, channel, ts, actionId}`; `value`/`blockId` as rendered (a stale page sends stale values, as a real client can). */
    r.post('/click', async (req, res) => {
      const b = (req.body ?? {}) as { user?: string; channel?: string; ts?: string; actionId?: string; value?: string; blockId?: string };
      const user = findUser(b.user);
      if (!user) return res.status(400).json({ error: 'unknown user' });
      const msg = findMessage(b.channel, b.ts);
      if (!msg) return res.status(404).json({ error: 'message not found' });
      let element: Record<string, unknown> | undefined;
      let blockId = b.blockId;
      for (const block of msg.blocks) {
        const els = (block.elements ?? []) as Record<string, unknown>[];
        const hit = els.find((e) => e.action_id === b.actionId);
        if (hit) {
          element = hit;
          blockId = block.block_id as string | undefined;
        }
      }
      if (!element && b.value === undefined) return res.status(409).json({ error: 'button not on the message (any more)' });
      const hookId = randomBytes(12).toString('hex');
      responseUrls.set(hookId, {
        channel: msg.channel,
        messageTs: msg.ts,
        user: user.id,
        uses: 0,
        expiresAt: Date.now() + RESPONSE_URL_TTL_MS,
      });
      const channel = findChannel(msg.channel);
      const payload = {
        type: 'block_actions',
        user: { id: user.id, username: user.username, name: user.username, team_id: SLACK_SEED.teamId },
        api_app_id: SLACK_SEED.appId,
        token: 'deprecated-verification-token',
        container: { type: 'message', message_ts: msg.ts, channel_id: msg.channel, is_ephemeral: false },
        trigger_id: issueTrigger(user.id),
        team: { id: SLACK_SEED.teamId, domain: SLACK_SEED.teamDomain },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: msg.channel, name: channel?.name },
        message: messageJson(msg),
        state: { values: {} },
        response_url: `${baseUrl(req)}/slack/hooks/actions/${SLACK_SEED.teamId}/${hookId}`,
        actions: [clickedButton(b.actionId, blockId, element, b.value)],
      };
      res.json(await deliver('block_actions', user.id, payload));
    });

    /** Submit an open modal: `{user, viewId, values: {<block_id>: {<action_id>: "text"}}}`. */
    r.post('/submit', async (req, res) => {
      const b = (req.body ?? {}) as { user?: string; viewId?: string; values?: Record<string, Record<string, string>> };
      const v = state.views.find((x) => x.id === b.viewId && x.open);
      if (!v || v.user !== b.user) return res.status(404).json({ error: 'no open view for this user' });
      const user = findUser(v.user) as SlackSeedUser;
      // As Slack sends them: a text input's `value`, a users_select's `selected_user` (null when nobody was picked).
      const values: Record<string, Record<string, Record<string, string | null>>> = {};
      for (const block of (v.view.blocks ?? []) as Record<string, unknown>[]) {
        if (block.type !== 'input') continue;
        const el = block.element as { type: string; action_id: string };
        const given = b.values?.[block.block_id as string]?.[el.action_id];
        const picked = given === undefined || given === '' ? null : given;
        values[block.block_id as string] = {
          [el.action_id]: el.type === 'users_select' ? { type: el.type, selected_user: picked } : { type: el.type, value: picked },
        };
      }
      const payload = {
        type: 'view_submission',
        team: { id: SLACK_SEED.teamId, domain: SLACK_SEED.teamDomain },
        user: { id: user.id, username: user.username, name: user.username, team_id: SLACK_SEED.teamId },
        api_app_id: SLACK_SEED.appId,
        token: 'deprecated-verification-token',
        trigger_id: issueTrigger(user.id),
        view: { ...v.view, id: v.id, team_id: SLACK_SEED.teamId, state: { values }, hash: `${Date.now()}.${v.id}` },
        response_urls: [],
        is_enterprise_install: false,
        enterprise: null,
      };
      const d = await deliver('view_submission', user.id, payload);
      // An empty 200 closes the modal; `response_action: errors` keeps it open with the messages.
      if (d.status === 200) {
        let answer: { response_action?: string; errors?: Record<string, string> } = {};
        try {
          answer = d.body ? (JSON.parse(d.body) as typeof answer) : {};
        } catch {
          answer = {};
        }
        if (answer.response_action === 'errors') v.errors = answer.errors ?? {};
        else v.open = false;
        changed();
      }
      res.json(d);
    });

    r.post('/close', (req, res) => {
      const b = (req.body ?? {}) as { viewId?: string };
      const v = state.views.find((x) => x.id === b.viewId);
      if (v) v.open = false;
      changed();
      res.json({ closed: Boolean(v) });
    });
    return r;
  };

  return {
    name: 'slack',
    title: 'Slack',
    router,
    controlRouter,
    faultBody: (status: number) => ({ ok: false, error: status === 429 ? 'ratelimited' : 'service_unavailable' }),
    reset,
    page: () => renderSlackPage({ state, seed: SLACK_SEED, as: undefined, channel: SLACK_SEED.channels[0].id }),
    state,
    configure(o: SlackSandboxOptions) {
      if (o.interactionsUrl !== undefined) settings.interactionsUrl = o.interactionsUrl;
      if (o.eventsUrl !== undefined) settings.eventsUrl = o.eventsUrl;
      if (o.signingSecret !== undefined) settings.signingSecret = o.signingSecret;
      if (o.botToken !== undefined) settings.botToken = o.botToken;
    },
  };
}
