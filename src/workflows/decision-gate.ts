/**
 * The decision gate, workflow side (docs/product.md §5): the `decide` update and the `decideSignal`
 * signal, one set of rules for both.
 *
 * 1. The update's validator refuses what the workflow can tell by itself (closed case, stale
 *    request, a vote already counted, no proof at all), so such attempts leave no history.
 * 2. The handler asks the worker's gate (`authorizeDecision`, a local activity: the decision key
 *    and the policy stay on the worker) to verify the proof and apply the approvers of the policy
 *    as it is now. Only then, and only with the claims the gate verified (actor, source), is the
 *    vote counted; the approvals a money request needs come from the same answer.
 *
 * A forged or unauthorized decision changes nothing, is logged with ids only and counted in
 * `billing_decisions_refused`. A signal cannot be refused to its sender, so for signals the log and
 * the metric are all that happens.
 */
import { ApplicationFailure, CancellationScope, log, metricMeter, setHandler } from '@temporalio/workflow';
import { CASE_TYPES } from '../domain/case';
import {
  DECISION_REJECTED_ERROR_TYPE,
  DECISION_VERB,
  MAX_DECISION_REASON,
  DecisionAction,
  DecisionRejection,
  type ApprovalVote,
  type DecisionOutcome,
  type SignedDecision,
} from '../domain/decision';
import type { CaseActivities } from '../activities/contract';
import type { CaseState } from '../domain/case-state';
import type { OpenRequest } from './approval-request';
import { decideSignal, decideUpdate } from './messages';

/** The same counter the gate activity adds to (forged attempts the workflow refuses by itself). */
const DECISIONS_REFUSED_METRIC = 'billing_decisions_refused';

type Refusal = { code: DecisionRejection; message: string };

/** What the gate needs of the case's runtime (CaseRuntime is one; the gate is installed by it). */
export interface DecisionGateHost {
  readonly state: CaseState;
  readonly acts: Pick<CaseActivities, 'authorizeDecision'>;
  readonly current?: OpenRequest;
  isClosed(): boolean;
  refresh(): void;
  /** `patched(id)` for this case (stamped releases take their patches without markers). */
  patched(patchId: string): boolean;
}

export function installDecisionGate(rt: DecisionGateHost): void {
  setHandler(decideUpdate, async (d) => receive(rt, d), {
    validator: (d) => {
      const refusal = precheck(rt, d);
      // Thrown from the validator, the attempt leaves no trace in history; logged and counted here.
      if (refusal) {
        refused(refusal, d, 'update');
        throw ApplicationFailure.nonRetryable(`${refusal.code}: ${refusal.message}`, DECISION_REJECTED_ERROR_TYPE);
      }
    },
  });
  setHandler(decideSignal, async (d) => {
    const refusal = precheck(rt, d);
    if (refusal) {
      refused(refusal, d, 'signal');
      return;
    }
    try {
      await receive(rt, d);
    } catch (err) {
      // receive() already logged and counted the refusal; a signal has nobody to answer.
      if (!(err instanceof ApplicationFailure && err.type === DECISION_REJECTED_ERROR_TYPE)) throw err;
    }
  });
}

/** What the workflow can check without the worker: shape, open request, not counted yet, has a proof. */
function precheck(rt: DecisionGateHost, d: SignedDecision): Refusal | undefined {
  if (!d || typeof d.requestId !== 'string' || !d.actor || typeof d.actor.id !== 'string' || typeof d.action !== 'string') {
    return { code: DecisionRejection.InvalidAction, message: 'a decision needs requestId, actor.id and action' };
  }
  if (rt.isClosed()) return { code: DecisionRejection.CaseClosed, message: `the case is ${rt.state.status}` };
  const req = rt.current;
  if (!req || req.closure || req.pending.requestId !== d.requestId)
    return { code: DecisionRejection.StaleRequest, message: 'this request is no longer open; nothing changed' };
  if (req.pending.votes.some((v) => v.actor.id === d.actor.id))
    return { code: DecisionRejection.AlreadyCounted, message: 'your decision on this request is already counted' };
  const handOff = d.action === DecisionAction.HandOff;
  if (!handOff && !req.allowedActions.includes(d.action))
    return { code: DecisionRejection.InvalidAction, message: `"${d.action}" is not offered on this request` };
  if (handOff) {
    // Who the target may be is the gate's call (the policy now); what the workflow knows by itself is checked here.
    if (typeof d.handTo !== 'string' || !d.handTo)
      return { code: DecisionRejection.InvalidHandOff, message: 'a hand-off names the approver it goes to (handTo)' };
    if (d.handTo === d.actor.id) return { code: DecisionRejection.InvalidHandOff, message: 'you cannot hand a request to yourself' };
    if (req.pending.votes.some((v) => v.actor.id === d.handTo))
      return { code: DecisionRejection.InvalidHandOff, message: 'that person has already answered this request' };
  } else if (d.handTo !== undefined) {
    return { code: DecisionRejection.InvalidAction, message: 'only a hand-off names someone to hand to' };
  }
  if (d.action === DecisionAction.ChooseCase && (!d.caseType || !CASE_TYPES.includes(d.caseType) || d.caseType === 'triage')) {
    return { code: DecisionRejection.InvalidAction, message: 'choose_case needs a case type other than triage' };
  }
  if (typeof d.reason === 'string' && d.reason.length > MAX_DECISION_REASON)
    return { code: DecisionRejection.InvalidAction, message: `a reason has at most ${MAX_DECISION_REASON} characters` };
  if (!d.proof || typeof d.proof !== 'object') {
    return {
      code: DecisionRejection.Unauthenticated,
      message: 'this decision did not come through an authenticated path (signed Slack interaction or operator API); nothing changed',
    };
  }
  return undefined;
}

function refused(r: Refusal, d: SignedDecision | undefined, via: 'update' | 'signal'): void {
  // Ids only: the reason text a person typed and display names stay out of logs.
  log.warn('decision refused', {
    code: r.code,
    via,
    requestId: typeof d?.requestId === 'string' ? d.requestId : undefined,
    actorId: typeof d?.actor?.id === 'string' ? d.actor.id : undefined,
  });
  metricMeter
    .createCounter(DECISIONS_REFUSED_METRIC, undefined, 'Decisions refused (forged, stale, not authorized)')
    .add(1, { reason: r.code });
}

async function receive(rt: DecisionGateHost, d: SignedDecision): Promise<DecisionOutcome> {
  const req = rt.current;
  if (!req) throw ApplicationFailure.nonRetryable(`${DecisionRejection.StaleRequest}: no open request`, DECISION_REJECTED_ERROR_TYPE);
  const authorize = () =>
    rt.acts.authorizeDecision({
      decision: d,
      request: {
        requestId: req.pending.requestId,
        kind: req.pending.kind,
        escalated: req.pending.escalated,
        ...(req.alsoEligible ? { alsoEligible: req.alsoEligible } : {}),
        allowedActions: [...req.allowedActions, DecisionAction.HandOff],
        ...(req.pending.amount ? { amount: req.pending.tierAmount ?? req.pending.amount } : { fixedRequired: req.fixedRequired }),
        ...(req.pending.subject ? { subject: req.pending.subject, countingAction: req.countingAction } : {}),
      },
    });
  // After an operator's cancel the handler's scope is cancelled, and an activity started in it
  // fails at once; but a request can still be open inside a non-cancellable part of the case (the
  // "Money returned" a reserved refund waits for): its decisions must still be heard, or money a
  // person returned could never be recorded (outside review, G1). The gate only verifies; what a
  // decision does is up to the code that waits for it. Patched: older histories refused it.
  const auth =
    CancellationScope.current().consideredCancelled && rt.patched('gate-after-cancel')
      ? await CancellationScope.nonCancellable(authorize)
      : await authorize();
  if (!auth.ok) throw ApplicationFailure.nonRetryable(`${auth.code}: ${auth.message}`, DECISION_REJECTED_ERROR_TYPE);
  // The world may have moved while the gate answered (another vote closed the request): check again
  // with the verified claims.
  const v = auth.decision;
  const again = precheck(rt, { ...v, proof: auth.proof });
  if (again) {
    refused(again, d, 'update');
    throw ApplicationFailure.nonRetryable(`${again.code}: ${again.message}`, DECISION_REJECTED_ERROR_TYPE);
  }
  const vote: ApprovalVote = {
    actor: v.actor,
    action: v.action,
    ...(v.reason ? { reason: v.reason } : {}),
    ...(v.caseType ? { caseType: v.caseType } : {}),
    ...(v.handTo ? { handTo: v.handTo } : {}),
    ...(v.subject ? { subject: v.subject } : {}),
    at: new Date().toISOString(),
    source: v.source,
    ...(v.via ? { via: v.via } : {}),
    proof: auth.proof,
    policyVersion: auth.policyVersion,
  };
  // Who may still decide and how many are needed: the policy now, not when the request opened.
  req.pending.eligibleApprovers = auth.eligible;
  req.pending.required = auth.required;
  req.pending.votes.push(vote);
  rt.state.decisions.push({ ...vote, requestId: req.pending.requestId });
  const who = vote.actor.name ?? vote.actor.id;
  const approvals = req.pending.votes.filter((x) => x.action === req.countingAction).length;
  const required = req.pending.required;
  if (vote.action === DecisionAction.HandOff) {
    // Counts towards nothing and closes nothing: the message shows it, and the request now waits on the new person.
    req.dirty = true;
    rt.refresh();
    return {
      status: 'counted',
      approvals,
      required,
      message: `Handed to <@${vote.handTo}> by ${who} (${approvals} of ${required} approvals so far)`,
    };
  }
  if (vote.action === req.countingAction) {
    if (approvals >= required) {
      req.closure = { kind: 'approved', votes: [...req.pending.votes], requestId: req.pending.requestId, escalated: req.pending.escalated };
      return { status: 'decided', approvals, required, message: `${DECISION_VERB[vote.action]} by ${who} (${approvals} of ${required})` };
    }
    req.dirty = true;
    rt.refresh();
    return {
      status: 'counted',
      approvals,
      required,
      message: `${DECISION_VERB[vote.action]} by ${who} (${approvals} of ${required}); waiting for another approver`,
    };
  }
  req.closure = { kind: 'decided', action: vote.action, vote, ...(vote.caseType ? { caseType: vote.caseType } : {}) };
  return { status: 'decided', approvals, required, message: `${DECISION_VERB[vote.action]} by ${who}` };
}
