/**
 * Configuration: the only module that reads `process.env`. Read once at the edge (main, worker,
 * API), validated with zod, and handed inwards as a typed object. A bad value stops start-up with
 * a message naming the variable and what is wrong with it.
 */
import { isTimeZone } from './policy/dates';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { createHash } from 'node:crypto';
import { CURRENCY_CODE } from './domain/money';
import type { CaseTimings, MoneyPolicy, PerCurrency } from './domain/policy';
import { ACCEPTED_CURRENCIES } from './domain/currencies';
import { isLoopbackHost } from './security/loopback';
import { parseKeyringSpec } from './temporal/codec';

/** Boolean variables: true/false, 1/0, yes/no. */
export const boolEnv = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const positiveSeconds = z.coerce.number().positive();

/** Every environment variable the service reads, with its default. docs/configuration.md mirrors this. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Port of the HTTP API (webhooks, Slack interactions, health). */
  HTTP_PORT: port.default(3000),
  /** Where this service is reachable from outside (used in links). */
  PUBLIC_BASE_URL: z.url().optional(),

  /** Set to use an existing Temporal (self-hosted or Cloud); unset = embedded dev server. */
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('billing-cases'),
  /** Temporal Web UI base URL, for links in responses and Slack messages. */
  TEMPORAL_UI_URL: z.url().optional(),
  /** Embedded dev server settings (ignored when TEMPORAL_ADDRESS is set). */
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_DEV_UI_PORT: port.default(8233),
  TEMPORAL_DEV_IP: z.string().default('127.0.0.1'),
  /** Folder for the dev server's SQLite file and other local state (git-ignored). */
  DATA_DIR: z.string().default('.data'),
  /** Workflow history retention, in days (the dev server's own default is 1). */
  TEMPORAL_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),

  /** Seconds the worker waits for in-flight activities on shutdown. */
  WORKER_SHUTDOWN_GRACE_SECONDS: positiveSeconds.default(10),
  /** Cases the worker keeps in its sticky cache; past it, a waiting case is evicted and replayed on its next event (BENCHMARKS.md). */
  // DEFAULT_MAX_CACHED_WORKFLOWS (src/worker.ts) says why 400.
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).max(100_000).default(400),
  /**
   * Worker Versioning (docs/workflows.md, "Deploying a changed workflow"): the worker deployment
   * this worker belongs to and its build id. Both set: cases are pinned to the build they started
   * on, and a new build gets new cases once it is made current. Both unset: unversioned.
   */
  WORKER_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[\w.-]{1,200}$/, 'letters, digits, _ . - only')
    .optional(),
  WORKER_BUILD_ID: z
    .string()
    .regex(/^[\w.-]{1,200}$/, 'letters, digits, _ . - only')
    .optional(),
  /** host:port where the worker's Temporal runtime serves Prometheus metrics (SDK + case counters); `off` disables. */
  TEMPORAL_METRICS_BIND_ADDRESS: z
    .string()
    .regex(/^(off|[A-Za-z0-9.-]+:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5})$/, 'expected host:port (e.g. 127.0.0.1:9464 or 0.0.0.0:9464) or off')
    .default('127.0.0.1:9464'),
  /** OTLP/HTTP base URL of a trace collector (traces go to `<url>/v1/traces`); unset = no tracing (docs/production.md, Traces). */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** `service.name` of this process's spans; default `billing-api`, `billing-worker` or `billing-handoffs` (npm start). */
  OTEL_SERVICE_NAME: z
    .string()
    .regex(/^[\w.-]{1,100}$/, 'letters, digits, _ . - only')
    .optional(),

  // --- DialNexa intake ---
  /** HMAC-SHA256 secret of DialNexa's webhook signature. Required in production. */
  DIALNEXA_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** Below this intent confidence a call goes to triage. */
  TRIAGE_CONFIDENCE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.6),
  /**
   * A delivery whose call ended longer ago than this is refused (422 `stale_call`, counted): the
   * workflow id is the only replay defence and Temporal forgets it after the namespace's retention,
   * so this must be shorter than TEMPORAL_RETENTION_DAYS (checked at start-up).
   */
  WEBHOOK_MAX_CALL_AGE: z.string().default('7d'),

  // --- Policy (docs/product.md §4-5). Amounts in minor units of each currency (ISO 4217 exponent: JPY 0, USD 2, KWD 3); durations like 30s, 15m, 4h, 3d. ---
  /** Per currency, `CUR:minor,...`: refunds at or below may be automated. A currency not listed is never automated. */
  REFUND_AUTOMATION_LIMITS: z.string().default('USD:5000,EUR:5000,GBP:5000,JPY:5000'),
  /** Per currency, `CUR:minor,...`: above it two different approvers are needed. A currency not listed always needs two. */
  TWO_PERSON_THRESHOLDS: z.string().default('USD:100000,EUR:100000,GBP:100000,JPY:150000'),
  AUTOMATION_MIN_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.85),
  AUTOMATABLE_REFUND_REASONS: z.string().default('duplicate_charge,billing_error,service_outage'),
  /**
   * Slack user ids whose approvals count (comma-separated). Read by the worker whenever a decision is made or money moves.
   * These three have no default outside development (the sandbox's people must never approve real money): DEV_PEOPLE.
   */
  APPROVERS: z.string().optional(),
  SECOND_TIER_APPROVERS: z.string().optional(),
  SLACK_FINANCE_CHANNEL: z.string().optional(),
  APPROVAL_REMINDER_INTERVAL: z.string().default('4h'),
  APPROVAL_ESCALATE_AFTER: z.string().default('24h'),
  APPROVAL_TIMEOUT: z.string().default('72h'),
  PAYMENT_BLOCKER_ACK_SLA: z.string().default('15m'),
  /** Where a date-only deadline ends (end of that day there), unless the CRM names the account's time zone. */
  BUSINESS_TIME_ZONE: z.string().default('UTC'),
  DEFAULT_FOLLOW_UP: z.string().default('3d'),
  /** Refunds and credits on a customer within this window count towards an approval's tier (with the request). */
  MONEY_RUNNING_TOTAL_WINDOW: z.string().default('7d'),

  // --- The money ledger (docs/workflows.md, "The money ledger"). ---
  /** PostgreSQL connection URL of the money ledger. Required in production; unset elsewhere = a private PostgreSQL under DATA_DIR/ledger. */
  LEDGER_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .optional(),
  /** Schema the ledger's tables live in. */
  LEDGER_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _ only')
    .default('billing_ledger'),
  /** Port of the private ledger PostgreSQL that `npm start` runs when LEDGER_DATABASE_URL is unset. */
  LEDGER_DEV_PORT: port.default(7434),
  /** How often the scheduled reconciliation compares the ledger with QuickBooks and Skyfire. */
  LEDGER_RECONCILE_INTERVAL: z.string().default('15m'),
  /** Key the API signs decisions with and the worker verifies them with (docs/security.md). Required in production; a local one is created otherwise. */
  DECISION_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)').optional(),

  // --- Connectors. Outside production a system without credentials uses the local sandbox; in
  // production every system needs its credential unless SANDBOX_SYSTEMS names it. ---
  /** Systems the sandbox serves even in production (staging): comma list of system names, or `all`. */
  SANDBOX_SYSTEMS: z.string().optional(),
  /** Folder (shared by every worker process) for the encrypted OAuth token store and its locks. */
  CREDENTIALS_DIR: z.string().optional(),
  /** Port of the local sandbox (started by `npm start` for systems without credentials). */
  SANDBOX_PORT: port.default(4010),
  /** Base URL of an already-running sandbox (tests, benchmark); default http://127.0.0.1:SANDBOX_PORT. */
  SANDBOX_URL: z.url().optional(),
  SKYFIRE_API_BASE_URL: z.url().default('https://api.skyfire.xyz'),
  SKYFIRE_BUYER_API_KEY: z.string().min(1).optional(),
  /** Seller service that receives pay tokens for refunds paid through Skyfire. */
  SKYFIRE_SELLER_SERVICE_ID: z.string().default('3f8b7a52-1c2d-4e5f-9a6b-7c8d9e0f1a2b'),
  /** The seller service's API that receives a refund's pay token (`skyfire-pay-id` header) and charges it. Without it no Skyfire refund is paid. */
  SKYFIRE_SELLER_SERVICE_URL: z.url().optional(),
  /** Lifetime of a refund's pay token (`expiresAt`; Skyfire allows 10 s to 24 h). */
  SKYFIRE_PAY_TOKEN_TTL: z.string().default('1h'),
  /** How long after expiry the seller may still charge (Skyfire documents 24 h); the case waits this long for the charge. */
  SKYFIRE_CHARGE_GRACE: z.string().default('24h'),
  /** How often a case looks at the pay token's charges while it waits. */
  SKYFIRE_CHARGE_POLL_INTERVAL: z.string().default('1m'),
  QBO_API_BASE_URL: z.url().default('https://quickbooks.api.intuit.com'),
  /** QuickBooks Payments API host (Intuit's SDK: api.intuit.com; sandbox companies: https://sandbox.api.intuit.com). */
  QBO_PAYMENTS_API_BASE_URL: z.url().default('https://api.intuit.com'),
  QBO_REALM_ID: z.string().default('9130350000000001'),
  /** Static access token (expires after about 1 h; development only). Production uses the refresh set below. */
  QBO_ACCESS_TOKEN: z.string().min(1).optional(),
  /** Intuit app keys and the company's refresh token (rotated by Intuit; the newest is kept in CREDENTIALS_DIR). */
  QBO_CLIENT_ID: z.string().min(1).optional(),
  QBO_CLIENT_SECRET: z.string().min(1).optional(),
  QBO_REFRESH_TOKEN: z.string().min(1).optional(),
  QBO_OAUTH_TOKEN_URL: z.url().default('https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer'),
  /** Bank account refunds are paid from (RefundReceipt.DepositToAccountRef). */
  QBO_REFUND_DEPOSIT_ACCOUNT_ID: z.string().default('35'),
  /** Item used on refund and credit memo lines. */
  QBO_REFUND_ITEM_ID: z.string().default('1'),
  /** In-flight QuickBooks requests per realm in one process (Intuit allows 10 per realm and app, all processes together). */
  QBO_MAX_CONCURRENT_REQUESTS: z.coerce.number().int().min(1).max(10).default(10),
  HUBSPOT_API_BASE_URL: z.url().default('https://api.hubapi.com'),
  HUBSPOT_ACCESS_TOKEN: z.string().min(1).optional(),
  /** HubSpot account (portal) id, for record links `app.hubspot.com/contacts/<id>/record/...`. */
  HUBSPOT_PORTAL_ID: z.string().regex(/^\d+$/).optional(),
  GMAIL_API_BASE_URL: z.url().default('https://gmail.googleapis.com'),
  /** Static access token (expires after about 1 h; development only). */
  GMAIL_ACCESS_TOKEN: z.string().min(1).optional(),
  /** Google service account key (the JSON, or a path to it) for Gmail and Drive, with domain-wide delegation. */
  GOOGLE_SERVICE_ACCOUNT_KEY: z.string().min(1).optional(),
  /** Workspace user the service account acts as (JWT `sub`); default GMAIL_SENDER. */
  GOOGLE_IMPERSONATE: z.email().optional(),
  /** Alternative to the service account: an OAuth client and a user's refresh token. */
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  GOOGLE_REFRESH_TOKEN: z.string().min(1).optional(),
  GOOGLE_OAUTH_TOKEN_URL: z.url().default('https://oauth2.googleapis.com/token'),
  /** From address (the authenticated user or a verified send-as alias). */
  GMAIL_SENDER: z.email().default('billing@example.com'),
  SLACK_API_BASE_URL: z.url().default('https://slack.com/api/'),
  SLACK_BOT_TOKEN: z.string().min(1).optional(),
  SLACK_SIGNING_SECRET: z.string().min(8).optional(),
  ZENDESK_API_BASE_URL: z.url().default('https://example.zendesk.com'),
  ZENDESK_EMAIL: z.email().optional(),
  ZENDESK_API_TOKEN: z.string().min(1).optional(),
  DRIVE_API_BASE_URL: z.url().default('https://www.googleapis.com'),
  /** Static access token (expires after about 1 h; development only). */
  DRIVE_ACCESS_TOKEN: z.string().min(1).optional(),
  /** Drive folder that holds one folder per case. */
  DRIVE_FOLDER_ID: z.string().default('root'),

  // --- Security (docs/security.md) ---
  /** Bearer token for every endpoint except the signed webhooks and health. Required in production; a local one is created otherwise. */
  API_TOKEN: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  /** Payload encryption keys, `kid:base64(32 bytes),...`. Required in production; a local key is created otherwise. */
  CODEC_KEYS: z.string().min(1).optional(),
  /** Key id new payloads are encrypted with (default: the last key in CODEC_KEYS). */
  CODEC_ACTIVE_KEY_ID: z.string().min(1).optional(),
  /** Lifetime of the codec session cookie the Temporal Web UI sends to /codec. */
  CODEC_SESSION_TTL: z.string().default('12h'),
  /** Development only: the local (loopback) Temporal UI may call /codec without a session. Default on in development; refused in production. */
  CODEC_ADMIT_LOCAL_UI: boolEnv.optional(),
  /** Largest request body accepted, in bytes (413 above). */
  HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /** Per-client-IP rate limit on the public endpoints (webhooks): sustained rate and burst. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(60),
  /** Express `trust proxy` (e.g. `loopback`, `1`, a CIDR list) so rate limits see the client's IP behind a proxy. Empty = none. */
  HTTP_TRUST_PROXY: z.string().default(''),
});

export type Env = z.infer<typeof envSchema>;

/**
 * Who approves and where, in development only: the sandbox's seeded finance people and channel.
 * Anywhere else (production, test, staging) a missing value refuses start-up by name: a service
 * that fell back to these would wait on people who do not exist, or worse, on whoever holds the ids.
 */
export const DEV_PEOPLE = {
  APPROVERS: 'U0FIN0001,U0FIN0002',
  SECOND_TIER_APPROVERS: 'U0CFO0001',
  SLACK_FINANCE_CHANNEL: 'C0FINANCE',
} as const;

export interface Config {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  http: { port: number; publicBaseUrl: string };
  temporal: {
    /** undefined = start the embedded dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
    connect: ClientConnectConfig;
    dev: { cliPath?: string; ip: string; port: number; uiPort: number; dbFile: string; retentionDays: number };
  };
  dataDir: string;
  /** The money ledger: `url` undefined = the embedded default starts a private PostgreSQL in `dev.dir` (development and tests only). */
  ledger: { url?: string; schema: string; dev: { dir: string; port: number }; reconcileIntervalMs: number };
  /** maxCallAgeMs: WEBHOOK_MAX_CALL_AGE (freshness window of a delivery, shorter than the retention). */
  dialnexa: { webhookSecret?: string; triageConfidenceThreshold: number; maxCallAgeMs: number };
  /** The finance policy the worker applies (never a workflow input). */
  moneyPolicy: MoneyPolicy;
  /** Durations cases are started with. */
  timings: CaseTimings;
  /** `systems`: the systems the sandbox serves (every one without credentials outside production; only SANDBOX_SYSTEMS in production). */
  sandbox: { port: number; url: string; systems: ConnectorSystemName[]; explicit: ConnectorSystemName[] };
  connectors: ConnectorsConfig;
  /** PATH, for finding tools such as the Temporal CLI. */
  pathVar?: string;
  /** metricsBindAddress: undefined = no runtime metrics exporter. */
  worker: {
    shutdownGraceSeconds: number;
    maxCachedWorkflows: number;
    metricsBindAddress?: string;
    deployment?: { name: string; buildId: string };
  };
  /** OpenTelemetry traces: `otlpEndpoint` undefined = off (src/observability/tracing.ts). */
  tracing: { otlpEndpoint?: string; serviceName?: string };
  security: SecurityConfig;
}

/** Access control, payload encryption and HTTP hardening settings (see docs/security.md). */
export interface SecurityConfig {
  /** undefined outside production = use the local dev token (src/security/secrets.ts). */
  apiToken?: string;
  /** DECISION_SIGNING_KEY; undefined outside production = local key (src/dev-secrets.ts). */
  decisionSigningKey?: string;
  /** CODEC_KEYS as given (validated here); undefined outside production = local key. */
  codecKeys?: string;
  codecActiveKeyId?: string;
  codecSessionTtlMs: number;
  /** The local Temporal UI decodes without a session (development, loopback UI; docs/security.md §2). */
  codecAdmitsLocalUi: boolean;
  bodyLimitBytes: number;
  rateLimit: { perMinute: number; burst: number };
  trustProxy?: string;
}

/** How an OAuth 2.0 access token is obtained and refreshed (src/connectors/oauth.ts). */
export type OAuthConfig =
  | { kind: 'intuit'; tokenUrl: string; clientId: string; clientSecret: string; refreshToken: string }
  | { kind: 'google-service-account'; tokenUrl: string; clientEmail: string; privateKey: string; subject: string; scopes: string[] }
  | { kind: 'google-user'; tokenUrl: string; clientId: string; clientSecret: string; refreshToken: string; scopes: string[] };

/** One external system's connection: a real base URL and credential, or the sandbox's. */
export interface ConnectorConfig {
  baseUrl: string;
  /** The credential (API key / bearer token). Sandbox credentials are fixed, non-secret strings. With `oauth`, unused (the token comes from the refresher). */
  token: string;
  /** Set when the access token is refreshed by the service (QuickBooks, Gmail, Drive). */
  oauth?: OAuthConfig;
  /** True when this system is served by the local sandbox (no credentials configured, or named in SANDBOX_SYSTEMS). */
  sandbox: boolean;
}

export interface ConnectorsConfig {
  /** Encrypted OAuth token store and its locks, shared by every worker process. */
  credentialsDir: string;
  skyfire: ConnectorConfig & {
    sellerServiceId: string;
    /** Where a refund's pay token is handed over; undefined = no seller endpoint configured. */
    sellerServiceUrl?: string;
    payTokenTtlSeconds: number;
    chargeGraceMs: number;
    chargePollMs: number;
  };
  quickbooks: ConnectorConfig & {
    realmId: string;
    refundDepositAccountId: string;
    refundItemId: string;
    maxConcurrentRequests: number;
    /** QuickBooks Payments API base (host only; the client adds /quickbooks/v4/payments). */
    paymentsBaseUrl: string;
  };
  hubspot: ConnectorConfig & { portalId?: string };
  gmail: ConnectorConfig & { sender: string };
  slack: ConnectorConfig & { signingSecret?: string };
  zendesk: ConnectorConfig & { email: string };
  drive: ConnectorConfig & { rootFolderId: string };
}

/** Credentials the sandbox accepts (not secrets: the sandbox runs only on localhost). */
export const SANDBOX_TOKENS = {
  skyfire: 'sandbox-skyfire-buyer-key',
  quickbooks: 'sandbox-qbo-access-token',
  hubspot: 'sandbox-hubspot-token',
  gmail: 'sandbox-google-token',
  slack: 'sandbox-slack-bot-token',
  zendesk: 'sandbox-zendesk-token',
  drive: 'sandbox-google-token',
} as const;
export type ConnectorSystemName = keyof typeof SANDBOX_TOKENS;
export const CONNECTOR_SYSTEMS = Object.keys(SANDBOX_TOKENS) as ConnectorSystemName[];

/** Google scopes each system's token asks for (Gmail: send, the sent-folder check, drafts; Drive: the case folders). */
export const GOOGLE_SCOPES: Record<'gmail' | 'drive', string[]> = {
  gmail: [
    'https://www.googleapis.com/auth/gmail.send',
    'https://www.googleapis.com/auth/gmail.readonly',
    'https://www.googleapis.com/auth/gmail.compose',
  ],
  drive: ['https://www.googleapis.com/auth/drive.file'],
};
export const SANDBOX_ZENDESK_EMAIL = 'agent@sandbox.example';

/** Parses durations like `90s`, `15m`, `4h`, `3d`, `500ms` to milliseconds. */
export function parseDuration(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

const list = (v: string) =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** What to set for each system, for the start-up error. */
const CREDENTIAL_HINT: Record<ConnectorSystemName, string> = {
  skyfire: 'set SKYFIRE_BUYER_API_KEY',
  quickbooks: 'set QBO_CLIENT_ID, QBO_CLIENT_SECRET and QBO_REFRESH_TOKEN',
  hubspot: 'set HUBSPOT_ACCESS_TOKEN',
  gmail: 'set GOOGLE_SERVICE_ACCOUNT_KEY, or GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN',
  slack: 'set SLACK_BOT_TOKEN',
  zendesk: 'set ZENDESK_EMAIL and ZENDESK_API_TOKEN',
  drive: 'set GOOGLE_SERVICE_ACCOUNT_KEY, or GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN',
};

/** SANDBOX_SYSTEMS: `all`, or a comma list of system names (unknown names are an error). */
function sandboxSystems(value: string | undefined, issues: string[]): ConnectorSystemName[] {
  const names = list(value ?? '');
  if (names.includes('all')) return [...CONNECTOR_SYSTEMS];
  const unknown = names.filter((n) => !(CONNECTOR_SYSTEMS as string[]).includes(n));
  if (unknown.length > 0)
    issues.push(`SANDBOX_SYSTEMS: unknown system ${unknown.join(', ')} (expected all or some of ${CONNECTOR_SYSTEMS.join(', ')})`);
  return CONNECTOR_SYSTEMS.filter((n) => names.includes(n));
}

/** The Google credential for Gmail and Drive (scopes are added per system), or undefined. */
function googleCredential(
  e: Env,
  issues: string[],
):
  | Omit<Extract<OAuthConfig, { kind: 'google-service-account' }>, 'scopes'>
  | Omit<Extract<OAuthConfig, { kind: 'google-user' }>, 'scopes'>
  | undefined {
  if (e.GOOGLE_SERVICE_ACCOUNT_KEY) {
    let json: string = e.GOOGLE_SERVICE_ACCOUNT_KEY;
    try {
      if (!json.trimStart().startsWith('{')) json = fs.readFileSync(json, 'utf8');
      const key = JSON.parse(json) as { client_email?: unknown; private_key?: unknown };
      if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string')
        throw new Error('the key has no client_email or private_key');
      return {
        kind: 'google-service-account',
        tokenUrl: e.GOOGLE_OAUTH_TOKEN_URL,
        clientEmail: key.client_email,
        privateKey: key.private_key,
        subject: e.GOOGLE_IMPERSONATE ?? e.GMAIL_SENDER,
      };
    } catch (err) {
      // Never echo the value: it is a private key (or its path).
      issues.push(
        `GOOGLE_SERVICE_ACCOUNT_KEY: expected a service account key (JSON or a path to it): ${(err as Error).message.replace(/\n.*$/s, '').slice(0, 80)}`,
      );
      return undefined;
    }
  }
  if (e.GOOGLE_CLIENT_ID && e.GOOGLE_CLIENT_SECRET && e.GOOGLE_REFRESH_TOKEN) {
    return {
      kind: 'google-user',
      tokenUrl: e.GOOGLE_OAUTH_TOKEN_URL,
      clientId: e.GOOGLE_CLIENT_ID,
      clientSecret: e.GOOGLE_CLIENT_SECRET,
      refreshToken: e.GOOGLE_REFRESH_TOKEN,
    };
  }
  if (e.GOOGLE_CLIENT_ID || e.GOOGLE_CLIENT_SECRET || e.GOOGLE_REFRESH_TOKEN)
    issues.push('GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN: set all three (or none)');
  return undefined;
}

/**
 * Reminders one approval request may send before its timeout. Each costs a timer and a Slack
 * activity (about ten history events); 500 keeps a request far below Temporal's 51,200-event limit.
 */
export const MAX_REMINDERS_PER_REQUEST = 500;

const VALID_CURRENCIES = ACCEPTED_CURRENCIES;

/** `USD:5000,JPY:5000` -> { USD: 5000, JPY: 5000 }; each problem becomes a start-up issue naming the variable. */
export function perCurrency(name: string, value: string, issues: string[]): PerCurrency {
  const out: Record<string, number> = {};
  for (const item of list(value)) {
    const m = /^([A-Za-z]{3})\s*:\s*(\d+)$/.exec(item);
    const currency = m?.[1].toUpperCase();
    if (!m || !currency || !CURRENCY_CODE.test(currency) || !VALID_CURRENCIES.has(currency)) {
      issues.push(`${name}: expected CUR:minor_units entries such as USD:5000, got "${item}"`);
      continue;
    }
    if (currency in out) issues.push(`${name}: ${currency} is listed twice`);
    out[currency] = Number(m[2]);
  }
  return out;
}

/** The policy with its version: a hash of its canonical JSON, so history can say which rules applied. */
/** The default window of the running totals behind an approval's tier: a week. */
export const DEFAULT_RUNNING_TOTAL_WINDOW_MS = 7 * 86_400_000;

export function buildMoneyPolicy(
  p: Omit<MoneyPolicy, 'version' | 'runningTotalWindowMs'> & { runningTotalWindowMs?: number },
): MoneyPolicy {
  const sorted = (r: PerCurrency) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
  const canonical = {
    refundAutomationLimits: sorted(p.refundAutomationLimits),
    twoPersonThresholds: sorted(p.twoPersonThresholds),
    automationMinConfidence: p.automationMinConfidence,
    automatableRefundReasons: [...p.automatableRefundReasons].sort(),
    approvers: [...p.approvers].sort(),
    secondTierApprovers: [...p.secondTierApprovers].sort(),
    financeChannel: p.financeChannel,
    runningTotalWindowMs: p.runningTotalWindowMs ?? DEFAULT_RUNNING_TOTAL_WINDOW_MS,
  };
  const version = createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 12);
  return { ...canonical, version };
}

export class ConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid configuration:\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Parse and validate the environment. Throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const issues: string[] = [];
  const duration = (name: keyof Env): number => {
    const ms = parseDuration(String(e[name]));
    if (ms === undefined || ms <= 0) issues.push(`${name}: expected a duration like 30s, 15m, 4h or 3d, got "${String(e[name])}"`);
    return ms ?? 0;
  };
  const timings: CaseTimings = {
    reminderIntervalMs: duration('APPROVAL_REMINDER_INTERVAL'),
    escalateAfterMs: duration('APPROVAL_ESCALATE_AFTER'),
    approvalTimeoutMs: duration('APPROVAL_TIMEOUT'),
    ackSlaMs: duration('PAYMENT_BLOCKER_ACK_SLA'),
    defaultFollowUpMs: duration('DEFAULT_FOLLOW_UP'),
    businessTimeZone: e.BUSINESS_TIME_ZONE,
  };
  if (!isTimeZone(e.BUSINESS_TIME_ZONE))
    issues.push(`BUSINESS_TIME_ZONE: expected an IANA time zone such as America/New_York or UTC, got "${e.BUSINESS_TIME_ZONE}"`);
  const codecSessionTtlMs = duration('CODEC_SESSION_TTL');
  const maxCallAgeMs = duration('WEBHOOK_MAX_CALL_AGE');
  if (maxCallAgeMs >= e.TEMPORAL_RETENTION_DAYS * 86_400_000)
    issues.push(
      `WEBHOOK_MAX_CALL_AGE: ${e.WEBHOOK_MAX_CALL_AGE} is not shorter than the namespace retention (TEMPORAL_RETENTION_DAYS=${e.TEMPORAL_RETENTION_DAYS}); a delivery replayed after Temporal forgot its workflow id would start its case again`,
    );
  const payTokenTtlMs = duration('SKYFIRE_PAY_TOKEN_TTL');
  if (payTokenTtlMs > 0 && (payTokenTtlMs < 10_000 || payTokenTtlMs > 86_400_000))
    issues.push('SKYFIRE_PAY_TOKEN_TTL: Skyfire accepts 10s to 24h');
  const chargeGraceMs = duration('SKYFIRE_CHARGE_GRACE');
  const chargePollMs = duration('SKYFIRE_CHARGE_POLL_INTERVAL');
  const people = (name: keyof typeof DEV_PEOPLE, what: string): string => {
    const v = e[name]?.trim();
    if (v) return v;
    if (e.NODE_ENV === 'development') return DEV_PEOPLE[name];
    issues.push(`${name}: required outside development (${what}); the sandbox's default applies only with NODE_ENV=development`);
    return '';
  };
  const moneyPolicy = buildMoneyPolicy({
    refundAutomationLimits: perCurrency('REFUND_AUTOMATION_LIMITS', e.REFUND_AUTOMATION_LIMITS, issues),
    twoPersonThresholds: perCurrency('TWO_PERSON_THRESHOLDS', e.TWO_PERSON_THRESHOLDS, issues),
    automationMinConfidence: e.AUTOMATION_MIN_CONFIDENCE,
    automatableRefundReasons: list(e.AUTOMATABLE_REFUND_REASONS),
    approvers: list(people('APPROVERS', 'Slack user ids whose approvals count')),
    secondTierApprovers: list(people('SECOND_TIER_APPROVERS', 'Slack user ids a request escalates to')),
    financeChannel: people('SLACK_FINANCE_CHANNEL', 'the Slack channel id for approvals and alerts'),
    runningTotalWindowMs: duration('MONEY_RUNNING_TOTAL_WINDOW'),
  });
  const reconcileIntervalMs = duration('LEDGER_RECONCILE_INTERVAL');
  for (const old of ['REFUND_AUTOMATION_LIMIT_MINOR', 'TWO_PERSON_THRESHOLD_MINOR'] as const) {
    // One number for every currency compared JPY with USD: refuse it rather than guess a currency.
    if (env[old] !== undefined)
      issues.push(
        `${old}: replaced by per-currency ${old === 'REFUND_AUTOMATION_LIMIT_MINOR' ? 'REFUND_AUTOMATION_LIMITS' : 'TWO_PERSON_THRESHOLDS'} (e.g. USD:5000,JPY:5000)`,
      );
  }
  for (const [currency, limit] of Object.entries(moneyPolicy.refundAutomationLimits)) {
    const threshold = moneyPolicy.twoPersonThresholds[currency];
    if (threshold === undefined)
      issues.push(`REFUND_AUTOMATION_LIMITS: ${currency} has an automation limit but no TWO_PERSON_THRESHOLDS entry`);
    else if (limit > threshold)
      issues.push(
        `REFUND_AUTOMATION_LIMITS: ${currency} ${limit} is above its two-person threshold ${threshold} (automation would skip a two-person approval)`,
      );
  }
  if (moneyPolicy.approvers.length === 0 && e.APPROVERS?.trim()) issues.push('APPROVERS: at least one Slack user id is required');
  if (timings.reminderIntervalMs > 0 && timings.approvalTimeoutMs / timings.reminderIntervalMs > MAX_REMINDERS_PER_REQUEST) {
    issues.push(
      `APPROVAL_TIMEOUT / APPROVAL_REMINDER_INTERVAL: ${Math.ceil(timings.approvalTimeoutMs / timings.reminderIntervalMs)} reminders per request is more than ${MAX_REMINDERS_PER_REQUEST}; each is several history events and a long wait would approach Temporal's history limit (raise the interval or shorten the timeout)`,
    );
  }
  if (timings.escalateAfterMs > timings.approvalTimeoutMs)
    issues.push('APPROVAL_ESCALATE_AFTER: longer than APPROVAL_TIMEOUT, so no request would ever escalate');
  if (e.NODE_ENV === 'production') {
    if (!e.DIALNEXA_WEBHOOK_SECRET) issues.push('DIALNEXA_WEBHOOK_SECRET: required in production');
    if (!e.LEDGER_DATABASE_URL) issues.push('LEDGER_DATABASE_URL: required in production (the money ledger, PostgreSQL)');
    if (!e.SLACK_SIGNING_SECRET) issues.push('SLACK_SIGNING_SECRET: required in production');
    if (!e.API_TOKEN) issues.push('API_TOKEN: required in production');
    if (!e.CODEC_KEYS) issues.push('CODEC_KEYS: required in production (payload encryption keys)');
    if (!e.DECISION_SIGNING_KEY)
      issues.push('DECISION_SIGNING_KEY: required in production (decisions are signed by the API and verified by the worker)');
    if (e.CODEC_ADMIT_LOCAL_UI) issues.push('CODEC_ADMIT_LOCAL_UI: development only; production decodes with a session or the API token');
  }
  if (e.CODEC_KEYS) {
    try {
      parseKeyringSpec(e.CODEC_KEYS, e.CODEC_ACTIVE_KEY_ID);
    } catch (err) {
      issues.push(`CODEC_KEYS: ${(err as Error).message}`);
    }
  } else if (e.CODEC_ACTIVE_KEY_ID) {
    issues.push('CODEC_ACTIVE_KEY_ID: set without CODEC_KEYS');
  }
  if (Boolean(e.WORKER_DEPLOYMENT_NAME) !== Boolean(e.WORKER_BUILD_ID))
    issues.push('WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID: set both (versioned worker) or neither');
  if (e.ZENDESK_API_TOKEN && !e.ZENDESK_EMAIL) issues.push('ZENDESK_EMAIL: required with ZENDESK_API_TOKEN');

  const sandboxUrl = (e.SANDBOX_URL ?? `http://127.0.0.1:${e.SANDBOX_PORT}`).replace(/\/$/, '');
  const explicit = sandboxSystems(e.SANDBOX_SYSTEMS, issues);
  const google = googleCredential(e, issues);
  // What each system would use for real; undefined = no credential configured.
  type Real = { token: string; oauth?: OAuthConfig; staticToken?: string };
  const intuit: Real | undefined =
    e.QBO_CLIENT_ID && e.QBO_CLIENT_SECRET && e.QBO_REFRESH_TOKEN
      ? {
          token: '',
          oauth: {
            kind: 'intuit',
            tokenUrl: e.QBO_OAUTH_TOKEN_URL,
            clientId: e.QBO_CLIENT_ID,
            clientSecret: e.QBO_CLIENT_SECRET,
            refreshToken: e.QBO_REFRESH_TOKEN,
          },
        }
      : undefined;
  if (!intuit && (e.QBO_CLIENT_ID || e.QBO_CLIENT_SECRET || e.QBO_REFRESH_TOKEN))
    issues.push('QBO_CLIENT_ID, QBO_CLIENT_SECRET and QBO_REFRESH_TOKEN: set all three (or none)');
  const googleFor = (system: 'gmail' | 'drive'): Real | undefined =>
    google ? { token: '', oauth: { ...google, scopes: GOOGLE_SCOPES[system] } as OAuthConfig } : undefined;
  const real: Record<ConnectorSystemName, Real | undefined> = {
    skyfire: e.SKYFIRE_BUYER_API_KEY ? { token: e.SKYFIRE_BUYER_API_KEY } : undefined,
    quickbooks: intuit ?? (e.QBO_ACCESS_TOKEN ? { token: e.QBO_ACCESS_TOKEN, staticToken: 'QBO_ACCESS_TOKEN' } : undefined),
    hubspot: e.HUBSPOT_ACCESS_TOKEN ? { token: e.HUBSPOT_ACCESS_TOKEN } : undefined,
    gmail: googleFor('gmail') ?? (e.GMAIL_ACCESS_TOKEN ? { token: e.GMAIL_ACCESS_TOKEN, staticToken: 'GMAIL_ACCESS_TOKEN' } : undefined),
    slack: e.SLACK_BOT_TOKEN ? { token: e.SLACK_BOT_TOKEN } : undefined,
    zendesk: e.ZENDESK_API_TOKEN ? { token: e.ZENDESK_API_TOKEN } : undefined,
    drive: googleFor('drive') ?? (e.DRIVE_ACCESS_TOKEN ? { token: e.DRIVE_ACCESS_TOKEN, staticToken: 'DRIVE_ACCESS_TOKEN' } : undefined),
  };
  const sandboxed = new Set<ConnectorSystemName>(explicit);
  for (const system of CONNECTOR_SYSTEMS) {
    if (sandboxed.has(system)) continue;
    const r = real[system];
    if (e.NODE_ENV !== 'production') {
      if (!r) sandboxed.add(system);
      continue;
    }
    // Production never falls back to the sandbox on its own: a customer could be told a refund was
    // issued that only a fake QuickBooks recorded. Name every gap at once.
    if (!r)
      issues.push(
        `${system}: no credential (${CREDENTIAL_HINT[system]}); required in production, or name it in SANDBOX_SYSTEMS for a staging set-up`,
      );
    else if (r.staticToken)
      issues.push(`${r.staticToken}: a static access token expires after about an hour; production needs ${CREDENTIAL_HINT[system]}`);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const conn = (system: ConnectorSystemName, realBase: string): ConnectorConfig => {
    const r = real[system];
    return sandboxed.has(system) || !r
      ? { baseUrl: `${sandboxUrl}/${system}`, token: SANDBOX_TOKENS[system], sandbox: true }
      : { baseUrl: realBase.replace(/\/$/, ''), token: r.token, ...(r.oauth ? { oauth: r.oauth } : {}), sandbox: false };
  };
  const slack = conn('slack', e.SLACK_API_BASE_URL);
  const zendesk = conn('zendesk', e.ZENDESK_API_BASE_URL);
  const connectors: ConnectorsConfig = {
    credentialsDir: path.resolve(e.CREDENTIALS_DIR ?? path.join(e.DATA_DIR, 'credentials')),
    skyfire: (() => {
      const c = conn('skyfire', e.SKYFIRE_API_BASE_URL);
      // The sandbox also stands in for the seller service's API (src/sandbox/systems/skyfire.ts).
      const sellerServiceUrl = e.SKYFIRE_SELLER_SERVICE_URL ?? (c.sandbox ? `${c.baseUrl}/seller-service/refunds` : undefined);
      return {
        ...c,
        sellerServiceId: e.SKYFIRE_SELLER_SERVICE_ID,
        sellerServiceUrl,
        payTokenTtlSeconds: Math.round(payTokenTtlMs / 1000),
        chargeGraceMs,
        chargePollMs,
      };
    })(),
    quickbooks: (() => {
      const c = conn('quickbooks', e.QBO_API_BASE_URL);
      return {
        ...c,
        // Same credential, its own host; the sandbox serves it under /quickbooks-payments.
        paymentsBaseUrl: c.sandbox
          ? c.baseUrl.replace(/\/quickbooks$/, '/quickbooks-payments')
          : e.QBO_PAYMENTS_API_BASE_URL.replace(/\/$/, ''),
        realmId: e.QBO_REALM_ID,
        refundDepositAccountId: e.QBO_REFUND_DEPOSIT_ACCOUNT_ID,
        refundItemId: e.QBO_REFUND_ITEM_ID,
        maxConcurrentRequests: e.QBO_MAX_CONCURRENT_REQUESTS,
      };
    })(),
    hubspot: { ...conn('hubspot', e.HUBSPOT_API_BASE_URL), ...(e.HUBSPOT_PORTAL_ID ? { portalId: e.HUBSPOT_PORTAL_ID } : {}) },
    gmail: { ...conn('gmail', e.GMAIL_API_BASE_URL), sender: e.GMAIL_SENDER },
    // Slack's base URL keeps its trailing slash (…/api/ + method name).
    slack: { ...slack, baseUrl: slack.sandbox ? `${slack.baseUrl}/api/` : e.SLACK_API_BASE_URL, signingSecret: e.SLACK_SIGNING_SECRET },
    zendesk: { ...zendesk, email: zendesk.sandbox ? SANDBOX_ZENDESK_EMAIL : (e.ZENDESK_EMAIL ?? SANDBOX_ZENDESK_EMAIL) },
    drive: { ...conn('drive', e.DRIVE_API_BASE_URL), rootFolderId: e.DRIVE_FOLDER_ID },
  };
  const dataDir = path.resolve(e.DATA_DIR);
  const uiUrl = e.TEMPORAL_UI_URL ?? `http://localhost:${e.TEMPORAL_DEV_UI_PORT}`;
  const devAddress = `${e.TEMPORAL_DEV_IP}:${e.TEMPORAL_DEV_PORT}`;
  // @temporalio/envconfig understands the TEMPORAL_* conventions (address, namespace, API key, TLS
  // client certs, profiles in temporal.toml). We hand it our env explicitly so nothing else reads it.
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((kv): kv is [string, string] => kv[0].startsWith('TEMPORAL_') && typeof kv[1] === 'string'),
  );
  if (!e.TEMPORAL_ADDRESS) overrideEnvVars.TEMPORAL_ADDRESS = devAddress;
  const connect = loadClientConnectConfig({ overrideEnvVars, disableFile: !env.TEMPORAL_CONFIG_FILE });
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    http: { port: e.HTTP_PORT, publicBaseUrl: e.PUBLIC_BASE_URL ?? `http://localhost:${e.HTTP_PORT}` },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: connect.namespace ?? e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl,
      connect,
      dev: {
        cliPath: e.TEMPORAL_CLI_PATH,
        ip: e.TEMPORAL_DEV_IP,
        port: e.TEMPORAL_DEV_PORT,
        uiPort: e.TEMPORAL_DEV_UI_PORT,
        dbFile: path.join(dataDir, 'temporal.sqlite'),
        retentionDays: e.TEMPORAL_RETENTION_DAYS,
      },
    },
    dataDir,
    ledger: {
      ...(e.LEDGER_DATABASE_URL ? { url: e.LEDGER_DATABASE_URL } : {}),
      schema: e.LEDGER_SCHEMA,
      dev: { dir: path.join(dataDir, 'ledger'), port: e.LEDGER_DEV_PORT },
      reconcileIntervalMs,
    },
    dialnexa: { webhookSecret: e.DIALNEXA_WEBHOOK_SECRET, triageConfidenceThreshold: e.TRIAGE_CONFIDENCE_THRESHOLD, maxCallAgeMs },
    moneyPolicy,
    timings,
    sandbox: { port: e.SANDBOX_PORT, url: sandboxUrl, systems: CONNECTOR_SYSTEMS.filter((n) => sandboxed.has(n)), explicit },
    connectors,
    pathVar: env.PATH,
    worker: {
      shutdownGraceSeconds: e.WORKER_SHUTDOWN_GRACE_SECONDS,
      maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
      metricsBindAddress: e.TEMPORAL_METRICS_BIND_ADDRESS === 'off' ? undefined : e.TEMPORAL_METRICS_BIND_ADDRESS,
      ...(e.WORKER_DEPLOYMENT_NAME && e.WORKER_BUILD_ID
        ? { deployment: { name: e.WORKER_DEPLOYMENT_NAME, buildId: e.WORKER_BUILD_ID } }
        : {}),
    },
    tracing: {
      ...(e.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
      ...(e.OTEL_SERVICE_NAME ? { serviceName: e.OTEL_SERVICE_NAME } : {}),
    },
    security: {
      apiToken: e.API_TOKEN,
      decisionSigningKey: e.DECISION_SIGNING_KEY,
      codecKeys: e.CODEC_KEYS,
      codecActiveKeyId: e.CODEC_ACTIVE_KEY_ID,
      codecSessionTtlMs,
      codecAdmitsLocalUi: e.NODE_ENV === 'development' && (e.CODEC_ADMIT_LOCAL_UI ?? true) && isLoopbackHost(new URL(uiUrl).hostname),
      bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
      rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, burst: e.RATE_LIMIT_BURST },
      trustProxy: e.HTTP_TRUST_PROXY || undefined,
    },
  };
}
