/**
 * Configuration: read once at the edge (main, worker, API), validated, and handed inwards as a
 * typed object. A bad value stops start-up with a message naming the variable and what is wrong
 * with it; every problem is named at once. The pieces: the schema (./schema), the credentials and
 * the sandbox fallback (./credentials, ./oauth), the money policy (./money-policy), the checks
 * across variables (./checks); Temporal's own TEMPORAL_* conventions go through @temporalio/envconfig.
 */
import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { CaseTimings } from '../domain/policy';
import { isTimeZone } from '../policy/dates';
import { crossFieldIssues, moneyPolicyIssues } from './checks';
import { CONNECTOR_SYSTEMS, connectorsConfig, realCredentials, sandboxedSystems, sandboxSystems } from './credentials';
import { isLoopbackHost } from './loopback';
import { moneyPolicyFromEnv } from './money-policy';
import { envSchema, parseDuration, type Env } from './schema';
import type { Config } from './types';

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
  const moneyPolicy = moneyPolicyFromEnv(e, issues, duration);
  const reconcileIntervalMs = duration('LEDGER_RECONCILE_INTERVAL');
  moneyPolicyIssues(e, env, moneyPolicy, issues);
  crossFieldIssues(e, timings, issues);

  const sandboxUrl = (e.SANDBOX_URL ?? `http://127.0.0.1:${e.SANDBOX_PORT}`).replace(/\/$/, '');
  const explicit = sandboxSystems(e.SANDBOX_SYSTEMS, issues);
  const real = realCredentials(e, issues);
  const sandboxed = sandboxedSystems(e, explicit, real, issues);
  if (issues.length > 0) throw new ConfigError(issues);
  const connectors = connectorsConfig(e, real, sandboxed, sandboxUrl, { payTokenTtlMs, chargeGraceMs, chargePollMs });
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
