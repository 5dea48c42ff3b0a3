/**
 * The Slack stand-in's state: what the workspace holds (messages, ephemeral replies, modals, Home
 * tabs, deliveries to the service), its settings, and how Slack shapes each object in its answers.
 * Shared by the Web API (./web-api), the deliveries to the service (./deliveries) and the control
 * routes (./control).
 */
import { randomBytes } from 'node:crypto';
import { SANDBOX_SLACK_BOT_TOKEN, SLACK_SEED, type SlackSeedUser } from './seed';

/** Slack's limits the sandbox enforces. */
export const TRIGGER_TTL_MS = 3000;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
export const RESPONSE_URL_MAX_USES = 5;
export const INTERACTION_TIMEOUT_MS = 3000;

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

/** One sandbox workspace: its state, settings, the triggers and response URLs it issued. */
export class SlackWorkspace {
  readonly settings: { interactionsUrl?: string; eventsUrl?: string; signingSecret?: string; botToken: string };
  readonly state: SlackSandboxState = { messages: [], ephemerals: [], views: [], homes: {}, deliveries: [], version: 0 };
  readonly triggers = new Map<string, { user: string; expiresAt: number; used: boolean }>();
  readonly responseUrls = new Map<string, { channel: string; messageTs?: string; user: string; uses: number; expiresAt: number }>();
  private tsSeq = 0;
  private viewSeq = 0;

  constructor(opts: SlackSandboxOptions) {
    this.settings = {
      interactionsUrl: opts.interactionsUrl ?? process.env.SANDBOX_SLACK_INTERACTIONS_URL,
      eventsUrl: opts.eventsUrl ?? process.env.SANDBOX_SLACK_EVENTS_URL,
      signingSecret: opts.signingSecret ?? process.env.SANDBOX_SLACK_SIGNING_SECRET,
      botToken: opts.botToken ?? SANDBOX_SLACK_BOT_TOKEN,
    };
  }

  readonly reset = () => {
    this.state.messages = [];
    this.state.ephemerals = [];
    this.state.views = [];
    this.state.homes = {};
    this.state.deliveries = [];
    this.state.version++;
    this.triggers.clear();
    this.responseUrls.clear();
  };

  readonly changed = () => {
    this.state.version++;
  };
  readonly nextTs = () => `${Math.floor(Date.now() / 1000)}.${String(++this.tsSeq).padStart(6, '0')}`;
  readonly findUser = (id: unknown) => SLACK_SEED.users.find((u) => u.id === id);
  readonly findChannel = (id: unknown) => SLACK_SEED.channels.find((c) => c.id === id);
  readonly findMessage = (channel: unknown, ts: unknown) => this.state.messages.find((m) => m.channel === channel && m.ts === ts);
  readonly messageJson = (m: SandboxSlackMessage) => ({
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
  readonly userJson = (u: SlackSeedUser) => ({
    id: u.id,
    team_id: SLACK_SEED.teamId,
    name: u.username,
    real_name: u.realName,
    is_bot: false,
    deleted: false,
    profile: { real_name: u.realName, display_name: u.realName, email: u.email },
  });
  /** A Home view as Slack returns it (views.publish answer, block_actions `view`, app_home_opened `view`). */
  readonly homeJson = (h: SandboxHomeView) => ({
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
  readonly issueTrigger = (user: string) => {
    const id = `${Date.now()}.${randomBytes(6).toString('hex')}`;
    this.triggers.set(id, { user, expiresAt: Date.now() + TRIGGER_TTL_MS, used: false });
    return id;
  };
  /** The next view id (modals and Home tabs share the sequence). */
  readonly nextViewId = () => `V${String(++this.viewSeq).padStart(8, '0')}`;
}
