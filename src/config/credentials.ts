/**
 * Each external system's connection: its real credential when one is configured, else the local
 * sandbox's fixed credential. Outside production a system without a credential falls back to the
 * sandbox; production never does on its own (a customer could be told a refund was issued that
 * only a fake QuickBooks recorded): every gap is a start-up issue, unless SANDBOX_SYSTEMS names it.
 */
import path from 'node:path';
import { googleCredential, GOOGLE_SCOPES, intuitCredential } from './oauth';
import { commaList, type Env } from './schema';
import type { ConnectorConfig, ConnectorsConfig, ConnectorSystemName, OAuthConfig } from './types';

/** Credentials the sandbox accepts (not secrets: the sandbox runs only on localhost). */
export const SANDBOX_TOKENS = {
  skyfire: 'sandbox-skyfire-buyer-key',
  quickbooks: 'sandbox-qbo-access-token',
  hubspot: 'sandbox-hubspot-token',
  gmail: 'sandbox-google-token',
  slack: 'sandbox-slack-bot-token',
  zendesk: 'sandbox-zendesk-token',
  drive: 'sandbox-google-token',
} as const satisfies Record<ConnectorSystemName, string>;
export const CONNECTOR_SYSTEMS = Object.keys(SANDBOX_TOKENS) as ConnectorSystemName[];
export const SANDBOX_ZENDESK_EMAIL = 'agent@sandbox.example';

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
export function sandboxSystems(value: string | undefined, issues: string[]): ConnectorSystemName[] {
  const names = commaList(value ?? '');
  if (names.includes('all')) return [...CONNECTOR_SYSTEMS];
  const unknown = names.filter((n) => !(CONNECTOR_SYSTEMS as string[]).includes(n));
  if (unknown.length > 0)
    issues.push(`SANDBOX_SYSTEMS: unknown system ${unknown.join(', ')} (expected all or some of ${CONNECTOR_SYSTEMS.join(', ')})`);
  return CONNECTOR_SYSTEMS.filter((n) => names.includes(n));
}

/** What a system would use for real; `staticToken` names a variable holding an access token that expires. */
export interface RealCredential {
  token: string;
  oauth?: OAuthConfig;
  staticToken?: string;
}
export type RealCredentials = Record<ConnectorSystemName, RealCredential | undefined>;

/** Each system's real credential from the environment; undefined = none configured. */
export function realCredentials(e: Env, issues: string[]): RealCredentials {
  const google = googleCredential(e, issues);
  const oauth = intuitCredential(e, issues);
  const intuit: RealCredential | undefined = oauth ? { token: '', oauth } : undefined;
  const googleFor = (system: 'gmail' | 'drive'): RealCredential | undefined =>
    google ? { token: '', oauth: { ...google, scopes: GOOGLE_SCOPES[system] } as OAuthConfig } : undefined;
  return {
    skyfire: e.SKYFIRE_BUYER_API_KEY ? { token: e.SKYFIRE_BUYER_API_KEY } : undefined,
    quickbooks: intuit ?? (e.QBO_ACCESS_TOKEN ? { token: e.QBO_ACCESS_TOKEN, staticToken: 'QBO_ACCESS_TOKEN' } : undefined),
    hubspot: e.HUBSPOT_ACCESS_TOKEN ? { token: e.HUBSPOT_ACCESS_TOKEN } : undefined,
    gmail: googleFor('gmail') ?? (e.GMAIL_ACCESS_TOKEN ? { token: e.GMAIL_ACCESS_TOKEN, staticToken: 'GMAIL_ACCESS_TOKEN' } : undefined),
    slack: e.SLACK_BOT_TOKEN ? { token: e.SLACK_BOT_TOKEN } : undefined,
    zendesk: e.ZENDESK_API_TOKEN ? { token: e.ZENDESK_API_TOKEN } : undefined,
    drive: googleFor('drive') ?? (e.DRIVE_ACCESS_TOKEN ? { token: e.DRIVE_ACCESS_TOKEN, staticToken: 'DRIVE_ACCESS_TOKEN' } : undefined),
  };
}

/** The systems the sandbox serves: those SANDBOX_SYSTEMS names and, outside production, every one without a credential. */
export function sandboxedSystems(
  e: Env,
  explicit: ConnectorSystemName[],
  real: RealCredentials,
  issues: string[],
): Set<ConnectorSystemName> {
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
  return sandboxed;
}

/** Every connector's configuration: the real base URL and credential, or the sandbox's at `sandboxUrl`. */
export function connectorsConfig(
  e: Env,
  real: RealCredentials,
  sandboxed: ReadonlySet<ConnectorSystemName>,
  sandboxUrl: string,
  skyfireTimes: { payTokenTtlMs: number; chargeGraceMs: number; chargePollMs: number },
): ConnectorsConfig {
  const conn = (system: ConnectorSystemName, realBase: string): ConnectorConfig => {
    const r = real[system];
    return sandboxed.has(system) || !r
      ? { baseUrl: `${sandboxUrl}/${system}`, token: SANDBOX_TOKENS[system], sandbox: true }
      : { baseUrl: realBase.replace(/\/$/, ''), token: r.token, ...(r.oauth ? { oauth: r.oauth } : {}), sandbox: false };
  };
  const slack = conn('slack', e.SLACK_API_BASE_URL);
  const zendesk = conn('zendesk', e.ZENDESK_API_BASE_URL);
  return {
    credentialsDir: path.resolve(e.CREDENTIALS_DIR ?? path.join(e.DATA_DIR, 'credentials')),
    skyfire: (() => {
      const c = conn('skyfire', e.SKYFIRE_API_BASE_URL);
      // The sandbox also stands in for the seller service's API (src/sandbox/systems/skyfire.ts).
      const sellerServiceUrl = e.SKYFIRE_SELLER_SERVICE_URL ?? (c.sandbox ? `${c.baseUrl}/seller-service/refunds` : undefined);
      return {
        ...c,
        sellerServiceId: e.SKYFIRE_SELLER_SERVICE_ID,
        sellerServiceUrl,
        payTokenTtlSeconds: Math.round(skyfireTimes.payTokenTtlMs / 1000),
        chargeGraceMs: skyfireTimes.chargeGraceMs,
        chargePollMs: skyfireTimes.chargePollMs,
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
}
