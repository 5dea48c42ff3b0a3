/**
 * `POST /slack/events`: Slack's Events API Request URL. One event matters here: `app_home_opened`
 * on the Home tab, answered by publishing that person's "Waiting on you" view.
 *
 * Slack wants a 2xx within 3 s and retries otherwise (up to three times, `X-Slack-Retry-Num`), so
 * the route answers first and publishes afterwards: the view is read from Temporal (visibility plus
 * one query per case), which can take longer than Slack waits. A retry, or the same event twice,
 * publishes once: event ids seen in the last minutes are remembered (per process; a retry that
 * reaches another process publishes again, which only replaces the view with the same one).
 *
 * JSON bodies, signed like interactions (src/slack/signing.ts) over the raw body.
 */
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../logger';
import type { HomeTab } from './home-tab';
import { createBackground, type Background } from './background';
import { rawBodyOf, slackSigned } from './signed-request';

export interface SlackEventsDeps {
  signingSecret: string;
  logger: Logger;
  homeTab: Pick<HomeTab, 'publish'>;
  /** Where the Home tab's publish after the answer is tracked for a shutdown (the app's; unset: its own). */
  background?: Background;
  /** How long an event id is remembered against retries (Slack's last retry comes after ~5 min). */
  dedupeMs?: number;
}

const urlVerificationSchema = z.object({
  type: z.literal('url_verification'),
  challenge: z.string().min(1).max(1000),
});

const eventCallbackSchema = z.object({
  type: z.literal('event_callback'),
  event_id: z.string().min(1).max(200),
  team_id: z.string().optional(),
  api_app_id: z.string().optional(),
  event: z.object({ type: z.string().min(1) }).passthrough(),
});

/** The inner event of a Home tab opening (channel, event_ts and the current view are not needed). */
const appHomeOpenedSchema = z.object({
  type: z.literal('app_home_opened'),
  user: z.string().regex(/^[UW][A-Z0-9]{2,31}$/),
  tab: z.string().optional(),
});

/** Remembered event ids, oldest first; bounded so a flood cannot grow it without end. */
const MAX_REMEMBERED_EVENTS = 5000;

export function createSlackEventsRouter(deps: SlackEventsDeps): Router {
  const { logger } = deps;
  const background = deps.background ?? createBackground();
  const dedupeMs = deps.dedupeMs ?? 10 * 60_000;
  const seen = new Map<string, number>();
  const firstTime = (eventId: string): boolean => {
    const now = Date.now();
    for (const [id, at] of seen) {
      if (now - at <= dedupeMs && seen.size <= MAX_REMEMBERED_EVENTS) break;
      seen.delete(id);
    }
    if (seen.has(eventId)) return false;
    seen.set(eventId, now);
    return true;
  };

  const router = express.Router();
  router.post('/events', ...slackSigned(deps.signingSecret, logger, 'event'), (req: Request, res: Response) => {
    const rawBody = rawBodyOf(req);
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      body = undefined;
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      res.status(400).json({ error: 'bad_payload', message: 'Expected a JSON object.' });
      return;
    }
    const type = (body as { type?: unknown }).type;
    if (type === 'url_verification') {
      const parsed = urlVerificationSchema.safeParse(body);
      if (!parsed.success) {
        res.status(400).json({ error: 'bad_payload', message: 'url_verification needs a challenge.' });
        return;
      }
      res.json({ challenge: parsed.data.challenge });
      return;
    }
    if (type !== 'event_callback') {
      // app_rate_limited and the like: acknowledged, nothing to do.
      res.status(200).end();
      return;
    }
    const parsed = eventCallbackSchema.safeParse(body);
    if (!parsed.success) {
      res.status(400).json({ error: 'bad_payload', message: 'event_callback payload is malformed' });
      return;
    }
    const { event_id: eventId, event } = parsed.data;
    if (event.type !== 'app_home_opened') {
      res.status(200).end();
      return;
    }
    const opened = appHomeOpenedSchema.safeParse(event);
    if (!opened.success) {
      res.status(400).json({ error: 'bad_payload', message: 'app_home_opened event is malformed' });
      return;
    }
    const retry = req.get('x-slack-retry-num');
    // The Messages tab opens the same event; only the Home tab shows our view.
    if (opened.data.tab !== undefined && opened.data.tab !== 'home') {
      res.status(200).end();
      return;
    }
    if (!firstTime(eventId)) {
      logger.info({ eventId, retry, retryReason: req.get('x-slack-retry-reason') }, 'slack event already handled');
      res.status(200).end();
      return;
    }
    // Answer first: Slack retries what it has not seen a 2xx for within 3 s.
    res.status(200).end();
    const userId = opened.data.user;
    background.track(
      deps.homeTab.publish(userId).catch((err: Error) => logger.warn({ eventId, userId, err: err.message }, 'home tab publish failed')),
    );
  });
  return router;
}
