/**
 * Local secrets for the embedded default only. When a webhook or signing secret is not configured
 * and NODE_ENV is not production, the service creates a random one on first run under DATA_DIR
 * (git-ignored, mode 0600) and reuses it, so the sandbox and `npm run call` can sign requests.
 * Production refuses to start without real secrets (see src/config/checks.ts).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type DevSecretName = 'dialnexa-webhook' | 'slack-signing' | 'api-token' | 'codec-key' | 'decision-key';

/** Returns the stored local secret, creating it (32 random bytes, hex) on first use. */
export function devSecret(dataDir: string, name: DevSecretName): string {
  const dir = path.join(dataDir, 'secrets');
  const file = path.join(dir, name);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const value = randomBytes(32).toString('hex');
    try {
      fs.writeFileSync(file, value, { mode: 0o600, flag: 'wx' });
      return value;
    } catch {
      // Another process created it first: use theirs.
      return fs.readFileSync(file, 'utf8').trim();
    }
  }
}

/** Secrets the HTTP API needs, resolved once at the edge. */
export interface ServiceSecrets {
  dialnexaWebhookSecret: string;
  slackSigningSecret: string;
  /** Bearer token of the protected endpoints (API_TOKEN). Absent = they all answer 401 (fail closed). */
  apiToken?: string;
  /** Signs the decisions the API passes on to workflows (DECISION_SIGNING_KEY). */
  decisionKey: string;
}

export function resolveSecrets(config: {
  env: string;
  dataDir: string;
  dialnexa: { webhookSecret?: string };
  connectors: { slack: { signingSecret?: string } };
  security?: { apiToken?: string; decisionSigningKey?: string };
}): ServiceSecrets {
  const local = (name: DevSecretName) => {
    if (config.env === 'production') throw new Error(`secret ${name} is not configured`);
    return devSecret(config.dataDir, name);
  };
  return {
    dialnexaWebhookSecret: config.dialnexa.webhookSecret ?? local('dialnexa-webhook'),
    slackSigningSecret: config.connectors.slack.signingSecret ?? local('slack-signing'),
    apiToken: config.security?.apiToken ?? local('api-token'),
    decisionKey: config.security?.decisionSigningKey ?? local('decision-key'),
  };
}

/**
 * The decision signing key, for the API (signs) and the worker (verifies). Outside production a
 * local one under DATA_DIR, shared by every process of the embedded default on this machine.
 */
export function resolveDecisionKey(config: { env: string; dataDir: string; security: { decisionSigningKey?: string } }): string {
  if (config.security.decisionSigningKey) return config.security.decisionSigningKey;
  if (config.env === 'production') throw new Error('secret decision-key is not configured');
  return devSecret(config.dataDir, 'decision-key');
}
