/**
 * The activity side of src/proofs/attempt-progress.ts: an attempt's progress, read from the
 * heartbeat details the last attempt left (only when they carry this worker's MAC for this case,
 * activity and input) and saved with a heartbeat. Temporal hands the last heartbeat's details to
 * the next attempt with a failure; heartbeats after the first are throttled, so a crash may lose the
 * latest save, and every resuming step is idempotent without it.
 */
import { Context } from '@temporalio/activity';
import { signProgress, verifyProgress, type ProgressBinding } from '../proofs/attempt-progress';
import { currentCase, log } from './support';

export interface AttemptProgress<T extends object> {
  /** What earlier attempts finished (a copy: change it, then `save()`). */
  readonly done: Partial<T>;
  save(): void;
}

export function attemptProgress<T extends object>(key: string, input: unknown): AttemptProgress<T> {
  const ctx = Context.current();
  const binding: ProgressBinding = {
    workflowId: currentCase().workflowId,
    activityId: ctx.info.activityId,
    activityType: ctx.info.activityType,
    input,
  };
  const details = ctx.info.heartbeatDetails;
  const kept = details === undefined ? undefined : verifyProgress<Partial<T>>(key, binding, details);
  // Ids only: the details may be a forgery, and their content is not ours to log.
  if (details !== undefined && kept === undefined)
    log('attempt progress ignored: not signed for this activity and input', { activityId: binding.activityId });
  const done: Partial<T> = { ...(kept ?? {}) };
  // A copy at each save: the SDK may serialize a heartbeat after the step has changed `done` again,
  // and the MAC must match the details as sent.
  return { done, save: () => ctx.heartbeat(signProgress(key, binding, structuredClone(done))) };
}
