/**
 * The Temporal Schedule that runs the ledger reconciliation (docs/workflows.md, "Reconciliation"):
 * id `ledger-reconciliation`, every LEDGER_RECONCILE_INTERVAL, starting the `reconcileLedger`
 * workflow on the worker's task queue. Overlap SKIP: while a run is still going, the next one is
 * skipped rather than queued or run beside it. Every worker (and `npm start`) makes sure of it at
 * start-up: created when missing, its interval and task queue updated when the configuration
 * changed, otherwise left alone, so any number of workers starting at once converge on one schedule.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';

export const LEDGER_RECONCILIATION_SCHEDULE_ID = 'ledger-reconciliation';
/** The workflow type the schedule starts (src/workflows/reconcile-ledger.ts). */
export const RECONCILE_WORKFLOW_TYPE = 'reconcileLedger';

export interface ReconcileScheduleOptions {
  taskQueue: string;
  intervalMs: number;
  /** Default LEDGER_RECONCILIATION_SCHEDULE_ID (tests use their own). */
  scheduleId?: string;
}

export type ScheduleOutcome = 'created' | 'updated' | 'unchanged';

const roundedSeconds = (ms: number) => Math.max(1, Math.round(ms / 1000));

export async function ensureReconcileSchedule(client: Client, opts: ReconcileScheduleOptions): Promise<ScheduleOutcome> {
  const scheduleId = opts.scheduleId ?? LEDGER_RECONCILIATION_SCHEDULE_ID;
  const every = roundedSeconds(opts.intervalMs) * 1000;
  const action: ScheduleOptionsStartWorkflowAction<() => Promise<unknown>> = {
    type: 'startWorkflow',
    workflowType: RECONCILE_WORKFLOW_TYPE,
    // The schedule appends each run's time, so every run has its own id.
    workflowId: `${scheduleId}-run`,
    taskQueue: opts.taskQueue,
    args: [],
  };
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every }] },
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: every },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(scheduleId);
  const d = await handle.describe();
  const intervals = d.spec.intervals ?? [];
  const current = d.action.type === 'startWorkflow' ? d.action : undefined;
  const same =
    intervals.length === 1 &&
    Number(intervals[0].every) === every &&
    (d.spec.calendars ?? []).length === 0 &&
    current?.workflowType === RECONCILE_WORKFLOW_TYPE &&
    current.taskQueue === opts.taskQueue &&
    d.policies.overlap === ScheduleOverlapPolicy.SKIP;
  if (same) return 'unchanged';
  await handle.update((prev) => ({
    ...prev,
    spec: { intervals: [{ every }] },
    action,
    policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: every },
  }));
  return 'updated';
}
