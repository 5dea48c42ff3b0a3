/**
 * Runs an activity the way Temporal retries it: attempt 1, 2, ... in an activity context for one
 * workflow id, carrying the last heartbeat's details into the next attempt, stopping at a
 * non-retryable failure.
 */
import { newTestLedger } from '../support/ledger';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createActivities } from '../../src/activities/index';
import type { ConnectorClients } from '../../src/connectors/clients';
import type { MoneyPolicy } from '../../src/domain/policy';
import { TEST_DECISION_KEY, testMoneyPolicy } from '../support/policy';

// Activity failures are expected in these tests; the SDK would log each one.
export const logger = new DefaultLogger('ERROR', () => undefined);

export async function runWithRetries<I, O>(
  fn: (input: I) => Promise<O>,
  input: I,
  workflowId: string,
  maxAttempts = 3,
): Promise<{ result: O; attempts: number }> {
  let details: unknown;
  let lastErr: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const env = new MockActivityEnvironment(
      // One activity execution: Temporal keeps its activity id across attempts (progress is signed for it).
      {
        workflowExecution: { workflowId, runId: 'run-1' },
        attempt,
        heartbeatDetails: details,
        activityId: 'act-1',
        activityType: String(fn.name || 'activity'),
      },
      { logger },
    );
    env.on('heartbeat', (d: unknown) => {
      details = d;
    });
    try {
      return { result: await env.run(fn, input), attempts: attempt };
    } catch (err) {
      lastErr = err;
      if ((err as { nonRetryable?: boolean }).nonRetryable) throw err;
    }
  }
  throw lastErr;
}

/** One attempt in an activity context. */
export function runOnce<I, O>(fn: (input: I) => Promise<O>, input: I, workflowId = 'wf-test'): Promise<O> {
  return new MockActivityEnvironment({ workflowExecution: { workflowId, runId: 'run-1' } }, { logger }).run(fn, input);
}

/**
 * The real activities over `connectors`, with the worker-side policy and decision key the tests
 * use. No Temporal client: these tests call activities directly, never the money lock.
 */
export function activitiesOver(connectors: ConnectorClients, policy: () => MoneyPolicy = () => testMoneyPolicy()) {
  const noTemporal = new Proxy(
    {},
    {
      get: () => {
        throw new Error('no Temporal client in direct activity tests');
      },
    },
  ) as Client;
  const ledger = newTestLedger();
  const acts = createActivities({
    workerIdentity: 'test',
    connectors,
    authority: { policy, decisionKey: TEST_DECISION_KEY, temporal: { client: noTemporal, taskQueue: 'unused' }, ledger },
  });
  return Object.assign(acts, {
    ledger,
    /** A pending Skyfire ledger entry for `<workflowId>/refund.record`, as the money path reserves one before a pay token. */
    reserveSkyfire: (workflowId: string, amountMinor: number) =>
      ledger.reserve(
        {
          key: `${workflowId}/refund.record`,
          realm: connectors.quickbooks.realmId,
          customerId: '104',
          invoiceId: null,
          invoiceDoc: null,
          caseId: workflowId,
          step: 'refund.record',
          kind: 'refund_receipt',
          route: 'skyfire',
          currency: 'USD',
          amountMinor,
          refundableMinor: null,
          windowMs: 86_400_000,
        },
        () => null,
      ),
  });
}
