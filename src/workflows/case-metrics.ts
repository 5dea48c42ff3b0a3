/**
 * Per-case-type counters, emitted from inside workflows through the SDK's workflow metric meter.
 * The meter skips replay, so a counter moves once per real event however often a workflow is
 * replayed. The worker's runtime exports the counter with its other metrics (see
 * src/observability/temporal-runtime.ts); the API's `/metrics` serves them in the embedded default.
 */
import { metricMeter } from '@temporalio/workflow';
import type { CaseType } from '../domain/case';

/** Lifecycle events counted per case type. */
export const CASE_EVENTS = ['started', 'decided', 'completed', 'failed', 'expired'] as const;
export type CaseEvent = (typeof CASE_EVENTS)[number];

/** Prometheus name of the counter; labels `case_type` and `event` (plus the SDK's namespace, taskQueue, workflowType). */
export const CASE_EVENTS_METRIC = 'billing_case_events';

/**
 * Count one lifecycle event of a case. `decided` = a human decision closed an approval request;
 * `failed` covers rejected-by-error and needs-attention ends; `expired` = the final timeout failed closed.
 */
/** Prometheus name of the decision-latency histogram (ms from request to decision); labels `case_type`, `kind`. */
export const DECISION_LATENCY_METRIC = 'billing_decision_latency';

/** How long an approval request waited for its decision (not for requests that expired). */
export function recordDecisionLatency(caseType: CaseType, kind: string, ms: number): void {
  metricMeter
    .createHistogram(DECISION_LATENCY_METRIC, 'int', 'ms', 'Time from an approval request to its decision')
    .record(Math.max(0, Math.round(ms)), { case_type: caseType, kind });
}

export function recordCaseEvent(caseType: CaseType, event: CaseEvent): void {
  // Created per call: the meter belongs to the running workflow, and creating a counter is cheap.
  metricMeter
    .createCounter(CASE_EVENTS_METRIC, undefined, 'Billing case lifecycle events by case type')
    .add(1, { case_type: caseType, event });
}
