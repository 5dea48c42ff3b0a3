/**
 * Patches without markers for new cases (issue 21, "Safety without slowness").
 *
 * Each `patched(id)` a new workflow meets records a marker and makes sdk-core upsert the
 * `TemporalChangeVersion` search attribute: one history event, one visibility write and one
 * billable action per patch (an approved refund met four). A case only needs the marker when its
 * history may be replayed by code that has to tell "recorded before the change" from "after". A
 * case whose input says which release of this code its starter knew (`CaseInput.release`, stamped
 * by the intake from CASE_CODE_RELEASE) already answers that: every patch of that release or older
 * is on, decided by the input, which is the same on every replay.
 *
 * Why it is sound, case by case (sdk-core's patch table, patch_state_machine.rs):
 * - A stamped case never calls `patched()` for these ids, live or on replay: no marker is
 *   expected, none is recorded; the new code path runs, as `patched()` would have chosen.
 * - A case without the stamp (started before this release, or by a starter that does not stamp)
 *   calls `patched()` exactly as before: an old history replays as it was recorded (marker: true;
 *   no marker: false), and a new execution records the marker and takes the new path.
 * - The stamp can only select the branch a new execution takes anyway (`patched()` is true for
 *   every new execution), never the old one. So it is not part of the signed case facts
 *   (src/proofs/case-facts.ts): whoever starts a case with a made-up stamp gets exactly the code
 *   a fresh `patched()` gives them, the newest and strictest, and a stamp too high for the worker
 *   changes nothing either (only the ids listed here are affected).
 * - What it needs from deployment: a stamped case must only ever run on workers that know its
 *   release. An older worker would ignore the stamp and record the markers, which the newer code
 *   then does not expect (non-determinism). With Worker Versioning a case is pinned to the build
 *   that was current when it started and only ever replayed by it (docs/workflows.md, "Deploying a
 *   changed workflow"); unversioned, deploy the workers before the intake and never roll workers
 *   back below a release the intake stamps.
 *
 * Adding a patch from now on: give it the next release here, raise CASE_CODE_RELEASE to it in the
 * same change, and ask it with `rt.patched(id)`. Cases stamped with an older release still ask
 * `patched()` for it, as they must: they may have passed the changed spot on the older code.
 */
import { patched } from '@temporalio/workflow';
import type { CaseInput } from '../domain/case';

/** Every patch a case workflow asks, with the release from which new cases take it without a marker. */
export const PATCH_RELEASE: Readonly<Record<string, number>> = {
  'refund-signed-facts-evidence': 1,
  'refund-automation-needs-invoice': 1,
  'triage-attests-chosen-case': 1,
  'payment-route-from-crm': 1,
  'skyfire-wait-for-charge': 1,
  'money-ledger': 1,
  'approval-outcome-message': 1,
  'ticket-final-status': 1,
  'final-crm-note': 1,
  'dispute-running-total': 1,
  'follow-up-deadline-past-on-arrival': 1,
  'dispute-credits-balance': 1,
  // Issue 21 "Safety without slowness": the refund's confirmation comment goes with the final
  // ticket update, the reservation runs as a local activity, and `gathering` waits for the next flush.
  'ticket-final-public-comment': 1,
  'reserve-money-local': 1,
  'gathering-not-flushed': 1,
  // A dispute verifies its signed facts as a refund does (an unsigned one warns its approvers).
  'dispute-signed-facts': 2,
  // A decision sent after an operator's cancel reaches a request that is still open (decision-gate.ts).
  'gate-after-cancel': 2,
  // Issue 21: a card-paid refund's QuickBooks Payments refund is sent by `recordMoney` (one activity, not two).
  'card-refund-in-record': 3,
  // A refund's rejection or expiry first asks the ledger whether this case reserved its money already (a reset case).
  'closure-reads-own-entry': 4,
  // Issue 21: a refund or credit on the QuickBooks routes reserves in `recordMoney` (no `reserveMoney` before it).
  'reserve-in-record': 5,
};

/** `patched(id)`, unless the case's stamped release already includes the patch (then true, and no marker). */
export function casePatched(input: Pick<CaseInput, 'release'>, patchId: string): boolean {
  const since = PATCH_RELEASE[patchId];
  if (since === undefined) throw new Error(`unknown patch ${patchId}: add it to PATCH_RELEASE (src/workflows/patches.ts)`);
  if (typeof input.release === 'number' && input.release >= since) return true;
  return patched(patchId);
}
