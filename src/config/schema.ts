/**
 * The environment the service reads: every variable, its type and default, validated with zod.
 * docs' configuration reference mirrors this (test/unit/config-reference.test.ts checks it). Only
 * src/config/ reads `process.env` (eslint.config.mjs); src/config/load.ts turns this into a Config.
 */
import { z } from 'zod';

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
  // DEFAULT_MAX_CACHED_WORKFLOWS (src/worker.ts) says why 300.
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(1).max(100_000).default(300),
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

/** Parses durations like `90s`, `15m`, `4h`, `3d`, `500ms` to milliseconds. */
export function parseDuration(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

/** A comma list: items trimmed, empty ones dropped. */
export const commaList = (v: string) =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
