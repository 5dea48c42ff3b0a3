/**
 * Builds every connector client from configuration, in one place (the worker and the embedded
 * default call this; tests build clients against the in-process sandbox the same way).
 */
import type { Config, ConnectorConfig } from '../config/types';
import { SkyfireClient } from './skyfire';
import { QuickBooksClient } from './quickbooks';
import { QuickBooksPaymentsClient } from './quickbooks-payments';
import { HubSpotClient } from './hubspot';
import { GmailClient } from './gmail';
import { ZendeskClient } from './zendesk';
import { DriveClient } from './drive';
import { createSlackApi, type SlackApi } from './slack';
import { authorizedFetch, googleMinter, intuitMinter, oauthSeed, RefreshingTokenSource, type RefreshObserver } from './oauth';
import { TokenStore } from './token-store';
import type { CodecKeyring } from '../temporal/codec';

/** The connector clients the business-step activities use. */
export interface ConnectorClients {
  skyfire: SkyfireClient;
  quickbooks: QuickBooksClient;
  /** Refunds of card charges made through QuickBooks Payments (same Intuit credential). */
  quickbooksPayments: QuickBooksPaymentsClient;
  hubspot: HubSpotClient;
  gmail: GmailClient;
  zendesk: ZendeskClient;
  drive: DriveClient;
  slack: SlackApi;
}

export interface ConnectorOptions {
  timeoutMs?: number;
  /** Seals the OAuth token store (the codec keyring, `resolveCodecKeyring(config)`); required when a system refreshes OAuth tokens. */
  keyring?: CodecKeyring;
  /** Told after every OAuth refresh (the worker warns and exports the refresh token's expiry). */
  onTokenRefreshed?: RefreshObserver;
}

export function createConnectors(connectors: Config['connectors'], opts: ConnectorOptions = {}): ConnectorClients {
  const { timeoutMs } = opts;
  let store: TokenStore | undefined;
  // Systems with a refreshing credential get a fetch that carries (and refreshes) their token.
  const withAuth = (system: 'quickbooks' | 'gmail' | 'drive', cfg: ConnectorConfig) => {
    if (!cfg.oauth) return { timeoutMs };
    if (!opts.keyring) throw new Error(`${system}: an OAuth credential needs the codec keyring to seal its token store`);
    store ??= new TokenStore(connectors.credentialsDir, opts.keyring);
    const oauth = cfg.oauth;
    const mint = oauth.kind === 'intuit' ? intuitMinter(oauth) : googleMinter(system as 'gmail' | 'drive', oauth);
    const source = new RefreshingTokenSource(system, store, oauthSeed(oauth), mint, Date.now, opts.onTokenRefreshed);
    return { timeoutMs, fetch: authorizedFetch(source) };
  };
  // One token source for both Intuit APIs: a refresh rotates the refresh token, so two sources would race.
  const intuitAuth = withAuth('quickbooks', connectors.quickbooks);
  return {
    skyfire: new SkyfireClient(connectors.skyfire, { timeoutMs }),
    quickbooks: new QuickBooksClient(connectors.quickbooks, intuitAuth),
    quickbooksPayments: new QuickBooksPaymentsClient(connectors.quickbooks, intuitAuth),
    hubspot: new HubSpotClient(connectors.hubspot, { timeoutMs }),
    gmail: new GmailClient(connectors.gmail, withAuth('gmail', connectors.gmail)),
    zendesk: new ZendeskClient(connectors.zendesk, { timeoutMs }),
    drive: new DriveClient(connectors.drive, withAuth('drive', connectors.drive)),
    slack: createSlackApi({ baseUrl: connectors.slack.baseUrl, token: connectors.slack.token }),
  };
}
