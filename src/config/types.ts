/**
 * The typed configuration handed inwards from the edge (main, worker, API): what src/config/load.ts
 * builds from the environment. Types only.
 */
import type { ClientConnectConfig } from '@temporalio/envconfig';
import type { CaseTimings, MoneyPolicy } from '../domain/policy';
import type { Env } from './schema';

/** The external systems the service connects to (each may be served by the sandbox instead). */
export type ConnectorSystemName = 'skyfire' | 'quickbooks' | 'hubspot' | 'gmail' | 'slack' | 'zendesk' | 'drive';

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
