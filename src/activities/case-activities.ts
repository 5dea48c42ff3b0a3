/**
 * The business-step activities of the contract (`CaseActivities`), composed from one factory per
 * system. The compiler checks the composition covers the whole contract.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ACTIVITY_GROUP_OF } from '../temporal/activity-retry';
import type { CaseActivities } from './contract';
import type { Client } from '@temporalio/client';
import type { MoneyPolicy } from '../domain/policy';
import type { Ledger } from '../ledger/store';
import type { ConnectorClients } from '../connectors/clients';
import { createApprovalVerifier } from './authority';
import { createGateActivities } from './gate';
import { createMoneyActivities } from './money';
import { createQuickBooksActivities } from './quickbooks';
import { createHubSpotActivities } from './hubspot';
import { createSkyfireActivities } from './skyfire';
import { createZendeskActivities } from './zendesk';
import { createGmailActivities } from './gmail';
import { createDriveActivities } from './drive';
import { createSlackActivities } from './slack';
import { createReconcileActivities } from './reconcile';

/** What the decision gate and the money path need besides the connectors: the worker's policy, the decision key, Temporal. */
export interface AuthorityDeps {
  /** The worker's money policy now (a function: read at every use). */
  policy: () => MoneyPolicy;
  decisionKey: string;
  temporal: { client: Client; taskQueue: string };
  /** The money ledger (PostgreSQL): every refund, credit and pay token is reserved there first. */
  ledger: Ledger;
}

export function createCaseActivities(c: ConnectorClients, a: AuthorityDeps): CaseActivities {
  const approvals = createApprovalVerifier({ decisionKey: a.decisionKey, policy: a.policy });
  const slack = createSlackActivities({ slack: c.slack });
  return {
    ...createGateActivities({ policy: a.policy, decisionKey: a.decisionKey }),
    ...createMoneyActivities({
      quickbooks: c.quickbooks,
      skyfire: c.skyfire,
      quickbooksPayments: c.quickbooksPayments,
      ledger: a.ledger,
      policy: a.policy,
      decisionKey: a.decisionKey,
    }),
    ...createQuickBooksActivities({ quickbooks: c.quickbooks, hubspot: c.hubspot, approvals }),
    ...createHubSpotActivities({ hubspot: c.hubspot, lookupSlackUserId: (email) => c.slack.lookupUserIdByEmail(email) }),
    ...createSkyfireActivities({ skyfire: c.skyfire, refunds: c.skyfire.refunds, ledger: a.ledger }),
    ...createZendeskActivities({ zendesk: c.zendesk, slackUser: (id) => c.slack.userInfo(id), progressKey: a.decisionKey }),
    ...createGmailActivities({ gmail: c.gmail, hubspot: c.hubspot, quickbooks: c.quickbooks, progressKey: a.decisionKey }),
    ...createDriveActivities({ drive: c.drive, quickbooks: c.quickbooks, progressKey: a.decisionKey }),
    ...slack,
    ...createReconcileActivities({
      quickbooks: c.quickbooks,
      skyfire: c.skyfire,
      ledger: a.ledger,
      temporal: a.temporal,
      financeChannel: () => a.policy().financeChannel,
      postFinanceAlert: slack.postFinanceAlert,
    }),
  };
}

/**
 * Stand-ins when a worker was built without connectors (the walking skeleton, workflow tests that
 * override what they use): every call fails at once, non-retryable, naming the activity.
 */
export function unconfiguredCaseActivities(): CaseActivities {
  const fail = (name: string) => async () => {
    throw ApplicationFailure.nonRetryable(
      `activity ${name} needs connectors: build activities with createActivities({ connectors })`,
      'NotConfiguredError',
    );
  };
  return Object.fromEntries(Object.keys(ACTIVITY_GROUP_OF).map((name) => [name, fail(name)])) as unknown as CaseActivities;
}
