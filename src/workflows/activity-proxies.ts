/**
 * The activity proxies a case calls through: one per retry group (reads as local activities),
 * behind the contract's interface, each outside write counted before it is scheduled and settled
 * as done, refused or unknown when it ends (the runtime's write ledger and the final note use it).
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CaseActivities } from '../activities/contract';
import { ACTIVITY_GROUP_OF, ACTIVITY_OPTIONS, LOCAL_MONEY_OPTIONS, type ActivityGroup } from '../temporal/activity-retry';

/** Ordinary activities that change nothing outside (the money lock lives in Temporal; checkMoney only reads). */
const NOT_OUTSIDE_WRITES: ReadonlySet<string> = new Set(['lockMoney', 'unlockMoney', 'checkMoney']);

/** How an outside write ended, as far as the case can tell. */
export type WriteOutcome = 'done' | 'refused' | 'unknown' | 'running';

/** Errors by which a system refused the write: it was not made (ActivityErrorType names). */
const REFUSALS: ReadonlySet<string> = new Set([
  'ValidationError',
  'NotFoundError',
  'AuthError',
  'InsufficientFundsError',
  'UnverifiedRecipientError',
  'BusinessRuleError',
]);

/** A failed write: refused (nothing was written) or unknown (it may have happened: a timeout, retries used up, a lost answer). */
function failedWriteOutcome(err: unknown): WriteOutcome {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || !cause.type || !REFUSALS.has(cause.type)) return 'unknown';
  // Skyfire's "a token may exist" is a refusal to try again, not a proof that nothing was made.
  return /OUTCOME_UNKNOWN/.test(cause.message) ? 'unknown' : 'refused';
}

/** Money writes that new cases run as local activities (LOCAL_MONEY_OPTIONS), counted and flushed like their ordinary twins. */
export type LocalMoneyActivities = Pick<CaseActivities, 'reserveMoney'>;

/**
 * The activity proxies, one per retry group, behind the contract's interface. `beforeCall` runs
 * before every ordinary activity is scheduled (the runtime flushes its search attributes there).
 * Not before a read: a local activity runs inside the current workflow task, which goes on after
 * it, so staged changes wait for the next point where the task really ends.
 */
export function proxies(
  onWrite: (name: string, step: string) => (outcome: WriteOutcome) => void,
  beforeCall: () => void,
): CaseActivities & { local: LocalMoneyActivities } {
  const groups: Record<ActivityGroup, CaseActivities> = {
    // Lookups run as local activities (why: ACTIVITY_OPTIONS in temporal/activity-retry.ts).
    read: proxyLocalActivities<CaseActivities>(ACTIVITY_OPTIONS.read),
    write: proxyActivities<CaseActivities>(ACTIVITY_OPTIONS.write),
    money: proxyActivities<CaseActivities>(ACTIVITY_OPTIONS.money),
    lock: proxyActivities<CaseActivities>(ACTIVITY_OPTIONS.lock),
    notify: proxyActivities<CaseActivities>(ACTIVITY_OPTIONS.notify),
    reconcile: proxyActivities<CaseActivities>(ACTIVITY_OPTIONS.reconcile),
  };
  const localMoney = proxyLocalActivities<LocalMoneyActivities>(LOCAL_MONEY_OPTIONS);
  const out: Partial<Record<keyof CaseActivities, unknown>> = {};
  for (const [name, group] of Object.entries(ACTIVITY_GROUP_OF) as [keyof CaseActivities, ActivityGroup][]) {
    const fn = groups[group][name] as (input: { step?: string }) => Promise<unknown>;
    out[name] =
      group === 'read'
        ? fn
        : NOT_OUTSIDE_WRITES.has(name)
          ? (input: { step?: string }) => {
              beforeCall();
              return fn(input);
            }
          : (input: { step?: string }) => {
              // Counted before the call: a write that fails half-way may still have happened outside.
              const settle = onWrite(name, input.step ?? name);
              beforeCall();
              return fn(input).then(
                (r) => {
                  settle('done');
                  return r;
                },
                (err: unknown) => {
                  settle(failedWriteOutcome(err));
                  throw err;
                },
              );
            };
  }
  // The local twin is a write like the ordinary one: in `writes` before the call, and the staged
  // search attributes go out first (in the same workflow task as its marker, so no extra upsert).
  const reserveMoney: LocalMoneyActivities['reserveMoney'] = (input) => {
    const settle = onWrite('reserveMoney', input.step);
    beforeCall();
    return localMoney.reserveMoney(input).then(
      (r) => {
        settle('done');
        return r;
      },
      (err: unknown) => {
        settle(failedWriteOutcome(err));
        throw err;
      },
    );
  };
  return Object.assign(out as CaseActivities, { local: { reserveMoney } });
}
