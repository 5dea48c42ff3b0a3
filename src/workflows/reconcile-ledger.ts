/**
 * The ledger reconciliation run (docs/workflows.md, "Reconciliation"): started every
 * LEDGER_RECONCILE_INTERVAL by the Temporal Schedule `ledger-reconciliation` (overlap SKIP: a run
 * still going makes the next one skip), it makes one activity call that compares the money ledger
 * with QuickBooks and Skyfire, settles or releases on evidence, and raises findings. The ledger
 * lives in PostgreSQL: terminating or resetting this workflow forgets nothing.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ReconcileActivities, ReconcileReport } from '../activities/reconcile';
import { ACTIVITY_OPTIONS } from '../temporal/activity-retry';

const { reconcileLedger: reconcile } = proxyActivities<ReconcileActivities>(ACTIVITY_OPTIONS.reconcile);

/** The Schedule's id, and the prefix of the workflow ids it starts. */
export const LEDGER_RECONCILIATION_SCHEDULE_ID = 'ledger-reconciliation';

export async function reconcileLedger(): Promise<ReconcileReport> {
  return reconcile({ step: 'reconcile' });
}
