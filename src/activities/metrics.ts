/**
 * Per-system activity metrics, counted by a worker interceptor around every activity attempt:
 * `billing_activity_attempts` with labels `system` (quickbooks, skyfire, ..., temporal, internal),
 * `group` (the retry group of src/temporal/activity-retry.ts), `moves_money` (`true` for the
 * activities that move money, src/activities/systems.ts), `outcome` (`ok`, `refused` when the
 * activity answered `{ status: 'refused' }` (the money path's re-check said no), `retryable_error`,
 * `non_retryable_error`) and `retry` (`true` from the second attempt on). Money actions are the
 * `moves_money="true"` attempts with `outcome="ok"`: a RefundReceipt or CreditMemo written, a
 * Skyfire pay token created.
 *
 * Emitted through the activity metric meter, so the worker's runtime exports them on its
 * Prometheus endpoint next to the SDK's own metrics and the workflow-side `billing_case_events`;
 * the meter adds `activityType`, `namespace` and `taskQueue` itself.
 * An attempt that succeeded but whose completion was lost (worker killed right after) counts again
 * on its retry: at least once, like the attempt it measures.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ACTIVITY_GROUP_OF } from '../temporal/activity-retry';
import { ACTIVITY_SYSTEM_OF, MONEY_MOVING_ACTIVITIES } from './systems';

export const ACTIVITY_ATTEMPTS_METRIC = 'billing_activity_attempts';

export type AttemptOutcome = 'ok' | 'refused' | 'retryable_error' | 'non_retryable_error';

function outcomeOf(err: unknown): AttemptOutcome {
  // Non-retryable: an ApplicationFailure marked so, or one whose type the retry policy excludes
  // (the worker cannot see the policy here; the flag is what the connectors set).
  return err instanceof ApplicationFailure && err.nonRetryable ? 'non_retryable_error' : 'retryable_error';
}

export const activityMetricsInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const { activityType, attempt } = ctx.info;
      const system = (ACTIVITY_SYSTEM_OF as Record<string, string>)[activityType] ?? 'internal';
      const group = (ACTIVITY_GROUP_OF as Record<string, string>)[activityType] ?? 'internal';
      const count = (outcome: AttemptOutcome) =>
        ctx.metricMeter
          .createCounter(ACTIVITY_ATTEMPTS_METRIC, undefined, 'Activity attempts by external system, activity, retry group and outcome')
          .add(1, {
            system,
            group,
            moves_money: MONEY_MOVING_ACTIVITIES.has(activityType) ? 'true' : 'false',
            outcome,
            retry: attempt > 1 ? 'true' : 'false',
          });
      try {
        const result = await next(input);
        count((result as { status?: unknown } | null)?.status === 'refused' ? 'refused' : 'ok');
        return result;
      } catch (err) {
        count(outcomeOf(err));
        throw err;
      }
    },
  },
});
