/**
 * The Slack Web API methods the service uses, at Slack's paths (`/api/<method>`, JSON or form
 * bodies, HTTP 200 with `ok:false` for errors, bearer bot token), and the `response_url` hooks
 * that show ephemeral replies to the clicking user (or replace the original message).
 */
import { randomBytes } from 'node:crypto';
import express, { type Response } from 'express';
import { SLACK_SEED } from './seed';
import {
  RESPONSE_URL_MAX_USES,
  type SandboxEphemeral,
  type SandboxHomeView,
  type SandboxSlackMessage,
  type SandboxView,
  type SlackWorkspace,
} from './state';

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

/** The Web API router of one workspace. */
export function webApiRouter(ws: SlackWorkspace): express.Router {
  const {
    state,
    settings,
    triggers,
    responseUrls,
    changed,
    nextTs,
    nextViewId,
    findUser,
    findChannel,
    findMessage,
    messageJson,
    userJson,
    homeJson,
  } = ws;
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
      const id = nextViewId();
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
      const id = before?.id ?? nextViewId();
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

  const router = (): express.Router => {
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
  return router();
}
