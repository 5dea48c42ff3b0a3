/**
 * Slack Web API connector: the official `@slack/web-api` WebClient pointed at the configured base
 * URL (Slack or the sandbox), with its own retries off because Temporal owns retries, and every
 * failure mapped to the shared connector errors (also Temporal ApplicationFailures).
 * WebClient, not a hand-written client: it is what Slack maintains (method shapes, form encoding,
 * Retry-After parsing), and `retryConfig: { retries: 0 }` + `rejectRateLimitedCalls` make it
 * fail fast so Temporal decides when to try again.
 */
import {
  WebClient,
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  type WebAPICallResult,
} from '@slack/web-api';
import type { Block } from './slack-blocks';
import { AuthError, NotFoundError, RateLimitedError, TransientError, ValidationError } from './errors';
import { withClientSpan } from './spans';

/** A Slack message is identified by its channel and ts. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

/** What the activities and the interactions route need from Slack. */
export interface SlackApi {
  postMessage(msg: {
    channel: string;
    text: string;
    blocks?: Block[];
    threadTs?: string;
    metadata?: { event_type: string; event_payload: Record<string, string | number | boolean> };
  }): Promise<SlackMessageRef>;
  updateMessage(msg: SlackMessageRef & { text: string; blocks: Block[] }): Promise<SlackMessageRef>;
  postEphemeral(msg: { channel: string; user: string; text: string; blocks?: Block[] }): Promise<{ messageTs: string }>;
  openView(triggerId: string, view: Record<string, unknown>): Promise<{ viewId: string }>;
  /** views.publish: sets a user's App Home tab (a `home` view); no trigger needed. */
  publishView(userId: string, view: Record<string, unknown>): Promise<{ viewId: string }>;
  /** `email` needs the users:read.email scope; callers keep it out of workflow history. */
  userInfo(userId: string): Promise<{ id: string; name?: string; realName?: string; email?: string; isBot: boolean }>;
  /** Slack user id for an email, or undefined when nobody in the workspace has it. */
  lookupUserIdByEmail(email: string): Promise<string | undefined>;
  authTest(): Promise<{ teamId: string; userId: string; botId?: string }>;
  /**
   * Recent messages of a channel that carry our metadata `event_type` (newest first). Lets a retried
   * post find the message an earlier attempt already created: Slack has no idempotency keys.
   */
  findMessagesByMetadata(
    channel: string,
    eventType: string,
    opts?: { threadTs?: string; limit?: number },
  ): Promise<(SlackMessageRef & { payload: Record<string, unknown> })[]>;
}

/** `ok:false` errors that are Slack's own transient trouble, worth a retry. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);
const AUTH_PLATFORM_ERRORS = new Set([
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'missing_scope',
  'not_allowed_token_type',
  'no_permission',
]);
const NOT_FOUND_PLATFORM_ERRORS = new Set([
  'channel_not_found',
  'message_not_found',
  'user_not_found',
  'users_not_found',
  'thread_not_found',
]);

/**
 * Maps a WebClient error to the shared connector errors (src/connectors/errors.ts): a 429 with
 * Retry-After is a retryable RateLimitedError carrying the delay; `ok:false` is non-retryable
 * (Auth / NotFound / Validation), except Slack's own transient errors; 5xx and network trouble
 * are TransientError.
 */
export function mapSlackError(method: string, err: unknown): Error {
  // @slack/web-api 8 throws Error subclasses (SlackError) instead of objects with a `code`.
  if (err instanceof WebAPIRateLimitedError) {
    return new RateLimitedError(
      { system: 'slack', status: 429, code: 'ratelimited' },
      `${method} rate limited`,
      (err.retryAfter ?? 1) * 1000,
    );
  }
  if (err instanceof WebAPIPlatformError) {
    const code = err.data?.error ?? 'unknown_error';
    const details = { system: 'slack' as const, status: 200, code };
    if (code === 'ratelimited') return new RateLimitedError(details, `${method} rate limited`);
    if (TRANSIENT_PLATFORM_ERRORS.has(code)) return new TransientError(details, `${method} failed`);
    if (AUTH_PLATFORM_ERRORS.has(code)) return new AuthError(details, `${method} refused the credentials`);
    if (NOT_FOUND_PLATFORM_ERRORS.has(code)) return new NotFoundError(details, `${method} found nothing`);
    return new ValidationError(details, `${method} refused the request`);
  }
  if (err instanceof WebAPIHTTPError) {
    const status = err.statusCode ?? 0;
    return status >= 400 && status < 500 && status !== 408 && status !== 429
      ? new ValidationError({ system: 'slack', status }, `${method} answered HTTP ${status}`)
      : new TransientError({ system: 'slack', status }, `${method} answered HTTP ${status}`);
  }
  if (err instanceof WebAPIRequestError) return new TransientError({ system: 'slack' }, `${method} request failed`, err);
  return err instanceof Error ? err : new Error(String(err));
}

export interface SlackConnectorOptions {
  /** Base URL ending in `/api/` (Slack's, or the sandbox's `<sandbox>/slack/api/`). */
  baseUrl: string;
  /** Bot token (`xoxb-…`, or the sandbox's token). */
  token: string;
  /** Per-request timeout, ms. Short: the interactions route calls views.open inside Slack's 3 s. */
  timeoutMs?: number;
}

export function createSlackApi(opts: SlackConnectorOptions): SlackApi {
  const apiUrl = opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`;
  const client = new WebClient(opts.token, {
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: opts.timeoutMs ?? 10_000,
    // Its debug logs print request bodies; we log ids ourselves.
    logLevel: LogLevel.ERROR,
    allowAbsoluteUrls: false,
  });
  // Every Web API method is a POST to <base>/<method>; a call that answered at all answered 200 (ok:false included).
  const call = <T extends WebAPICallResult>(method: string, fn: () => Promise<T>): Promise<T> =>
    withClientSpan(
      'slack',
      'POST',
      new URL(method, apiUrl).toString(),
      async () => {
        try {
          return await fn();
        } catch (err) {
          throw mapSlackError(method, err);
        }
      },
      () => 200,
    );
  return {
    async postMessage(msg) {
      const res = await call('chat.postMessage', () =>
        client.chat.postMessage({
          channel: msg.channel,
          text: msg.text,
          ...(msg.blocks ? { blocks: msg.blocks as never } : {}),
          ...(msg.threadTs ? { thread_ts: msg.threadTs } : {}),
          ...(msg.metadata ? { metadata: msg.metadata } : {}),
        }),
      );
      if (!res.channel || !res.ts)
        throw new TransientError({ system: 'slack', code: 'invalid_response' }, 'chat.postMessage answered without channel/ts');
      return { channel: res.channel, ts: res.ts };
    },
    async updateMessage(msg) {
      const res = await call('chat.update', () =>
        client.chat.update({ channel: msg.channel, ts: msg.ts, text: msg.text, blocks: msg.blocks as never }),
      );
      return { channel: res.channel ?? msg.channel, ts: res.ts ?? msg.ts };
    },
    async postEphemeral(msg) {
      const res = await call('chat.postEphemeral', () =>
        client.chat.postEphemeral({
          channel: msg.channel,
          user: msg.user,
          text: msg.text,
          ...(msg.blocks ? { blocks: msg.blocks as never } : {}),
        }),
      );
      return { messageTs: res.message_ts ?? '' };
    },
    async openView(triggerId, view) {
      const res = await call('views.open', () => client.views.open({ trigger_id: triggerId, view: view as never }));
      return { viewId: res.view?.id ?? '' };
    },
    async publishView(userId, view) {
      const res = await call('views.publish', () => client.views.publish({ user_id: userId, view: view as never }));
      return { viewId: res.view?.id ?? '' };
    },
    async userInfo(userId) {
      const res = await call('users.info', () => client.users.info({ user: userId }));
      const u = res.user;
      if (!u?.id) throw new TransientError({ system: 'slack', code: 'invalid_response' }, 'users.info answered without a user');
      return {
        id: u.id,
        name: u.name,
        realName: u.real_name,
        ...(u.profile?.email ? { email: u.profile.email } : {}),
        isBot: Boolean(u.is_bot),
      };
    },
    async lookupUserIdByEmail(email) {
      try {
        const res = await call('users.lookupByEmail', () => client.users.lookupByEmail({ email }));
        return res.user?.id;
      } catch (err) {
        if (err instanceof NotFoundError && err.code === 'users_not_found') return undefined;
        throw err;
      }
    },
    async findMessagesByMetadata(channel, eventType, opts = {}) {
      const limit = opts.limit ?? 100;
      // Thread replies are not in the channel's history; conversations.replies lists them.
      const res = opts.threadTs
        ? await call('conversations.replies', () =>
            client.conversations.replies({ channel, ts: opts.threadTs as string, limit, include_all_metadata: true }),
          )
        : await call('conversations.history', () => client.conversations.history({ channel, limit, include_all_metadata: true }));
      return (res.messages ?? [])
        .filter((m) => m.metadata?.event_type === eventType && m.ts)
        .map((m) => ({ channel, ts: m.ts as string, payload: (m.metadata?.event_payload ?? {}) as Record<string, unknown> }));
    },
    async authTest() {
      const res = await call('auth.test', () => client.auth.test());
      return { teamId: res.team_id ?? '', userId: res.user_id ?? '', botId: res.bot_id };
    },
  };
}
