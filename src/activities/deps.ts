/**
 * Builds every connector client from configuration, in one place (the worker and the embedded
 * default call this; tests build clients against the in-process sandbox the same way).
 */
import type { Config } from '../config';
import { SkyfireClient } from '../connectors/skyfire';
import { QuickBooksClient } from '../connectors/quickbooks';
import { HubSpotClient } from '../connectors/hubspot';
import { GmailClient } from '../connectors/gmail';
import { ZendeskClient } from '../connectors/zendesk';
import { DriveClient } from '../connectors/drive';
import { createSlackApi, type SlackApi } from '../connectors/slack';

/** The connector clients the business-step activities use. */
export interface ConnectorClients {
  skyfire: SkyfireClient;
  quickbooks: QuickBooksClient;
  hubspot: HubSpotClient;
  gmail: GmailClient;
  zendesk: ZendeskClient;
  drive: DriveClient;
  slack: SlackApi;
}

export function createConnectors(connectors: Config['connectors'], opts: { timeoutMs?: number } = {}): ConnectorClients {
  return {
    skyfire: new SkyfireClient(connectors.skyfire, opts),
    quickbooks: new QuickBooksClient(connectors.quickbooks, opts),
    hubspot: new HubSpotClient(connectors.hubspot, opts),
    gmail: new GmailClient(connectors.gmail, opts),
    zendesk: new ZendeskClient(connectors.zendesk, opts),
    drive: new DriveClient(connectors.drive, opts),
    slack: createSlackApi({ baseUrl: connectors.slack.baseUrl, token: connectors.slack.token }),
  };
}
