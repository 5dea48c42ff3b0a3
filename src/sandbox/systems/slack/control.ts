/**
 * Control routes (under /_sandbox/slack): the channel page and the Home tab page (whose buttons
 * send signed `block_actions`), clicks and modal submissions as a given user, the state, and the
 * service's URLs and signing secret (`POST /config`).
 */
import { randomBytes } from 'node:crypto';
import express, { type Request } from 'express';
import { renderSlackHomePage, renderSlackPage } from '../../pages/slack-page';
import type { SlackDeliveries } from './deliveries';
import { SLACK_SEED, type SlackSeedUser } from './seed';
import { RESPONSE_URL_TTL_MS, type SlackSandboxOptions, type SlackWorkspace } from './state';

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

/** The control router of one workspace. */
export function controlRouter(ws: SlackWorkspace, deliveries: SlackDeliveries): express.Router {
  const { state, settings, responseUrls, changed, findUser, findChannel, findMessage, messageJson, homeJson, issueTrigger } = ws;
  const { deliver, deliverHomeOpened } = deliveries;
  const baseUrl = (req: Request) => `${req.protocol}://${req.get('host')}`;

  const router = (): express.Router => {
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
  return router();
}
