/**
 * The decision gate, worker side (docs/product.md §5): the checks a workflow cannot make itself because
 * they need the decision key or the worker's configuration, neither of which may enter history.
 * Both run as local activities, so their results are markers in the asking workflow's history:
 * which policy version applied, and whether a decision's proof held.
 *
 * - `loadPolicy`: the worker's money policy now (approvers, tiers, per-currency limits).
 * - `authorizeDecision`: verifies the decision's proof (made by the API after it authenticated the
 *   caller), then applies the policy now: the actor must be an approver of the request's tier.
 *   `source` and `actor` of the result come from the verified claims. A refusal is logged with ids
 *   only and counted in `billing_decisions_refused{reason}`.
 * - `verifyCaseInput`: whether the case's facts are the ones the intake attested for this workflow
 *   (src/proofs/case-facts.ts). Unsigned or altered facts are logged with ids only and counted in
 *   `billing_case_facts_unverified_total{reason,case_type}`; the case then automates nothing.
 * - `attestChosenCase`: triage's chosen case, attested by the worker for the child's workflow id,
 *   only after triage's own facts and the signed `choose_case` vote verified.
 */
import { Context } from '@temporalio/activity';
import type { CaseAttestation, CaseInput, CaseType, Money } from '../domain/case';
import {
  DecisionAction,
  DecisionRejection,
  sameSubject,
  type ApprovalVote,
  type Decision,
  type DecisionProof,
  type DecisionSubject,
  type SignedDecision,
} from '../domain/decision';
import { eligibleApprovers, type MoneyPolicy } from '../domain/policy';
import { requiredApprovals } from '../policy/thresholds';
import { DECISION_PROOF_MAX_AGE_MS, verifyDecision, voteAsDecision } from '../proofs/decision-proof';
import { attestCaseFacts, verifyCaseFacts, type CaseFactsRefusal } from '../proofs/case-facts';
import { caseWorkflowId } from '../temporal/workflow-ids';
import { currentCase } from './support';

/** The request a decision claims to answer, as the workflow knows it. */
export interface DecisionRequestFacts {
  requestId: string;
  /** What is decided (`refund`, `dispute`, `acknowledge`, ...). */
  kind: string;
  /** `acknowledge` requests only: people who may decide besides the policy's approvers (the account owner, from HubSpot). Ignored for anything else. */
  alsoEligible?: string[];
  escalated: boolean;
  allowedActions: DecisionAction[];
  /** Money requests: the approvals needed derive from the amount under the policy now. */
  amount?: Money;
  /** Other requests: how many distinct approvals they need. */
  fixedRequired?: number;
  /** Money requests: what the counting action approves; the decision must carry the same, signed. */
  subject?: DecisionSubject;
  /** The action that counts (approve; accept for disputes). */
  countingAction?: DecisionAction;
}

export type AuthorizeResult =
  | { ok: true; decision: Decision; proof: DecisionProof; policyVersion: string; eligible: string[]; required: number }
  | { ok: false; code: DecisionRejection; message: string; policyVersion: string };

/** Whether a case's facts are the intake's (or, for a case chosen in triage, the worker's). */
export type CaseFactsVerdict = { ok: true; by: CaseAttestation['by'] } | { ok: false; reason: CaseFactsRefusal };

/** The attestation for triage's chosen case, or why there is none (the child then runs unsigned: nothing automated). */
export type ChosenCaseAttestation =
  { ok: true; attestation: CaseAttestation } | { ok: false; reason: CaseFactsRefusal | 'choice_not_verified' };

export interface GateActivities {
  loadPolicy(): Promise<MoneyPolicy>;
  authorizeDecision(input: { decision: SignedDecision; request: DecisionRequestFacts }): Promise<AuthorizeResult>;
  /** Verifies the case's own input against its attestation (bound to this workflow's id). */
  verifyCaseInput(input: { input: CaseInput }): Promise<CaseFactsVerdict>;
  /** Triage: attests the chosen case's facts for its workflow id, after verifying triage's facts and the choice. */
  attestChosenCase(input: { input: CaseInput; chosen: CaseType; requestId: string; vote: ApprovalVote }): Promise<ChosenCaseAttestation>;
}

export interface GateActivityDeps {
  /** The worker's policy now. */
  policy: () => MoneyPolicy;
  decisionKey: string;
  now?: () => Date;
}

export const DECISIONS_REFUSED_METRIC = 'billing_decisions_refused';
/** Cases whose facts did not verify (unsigned, altered, malformed), by reason and case type. */
export const CASE_FACTS_UNVERIFIED_METRIC = 'billing_case_facts_unverified_total';

export function createGateActivities(deps: GateActivityDeps): GateActivities {
  const refused = (
    code: DecisionRejection,
    reason: string,
    message: string,
    policyVersion: string,
    ids: Record<string, string | undefined>,
  ): AuthorizeResult => {
    const ctx = Context.current();
    // Ids only: never the reason text a person typed, never names.
    ctx.log.warn('decision refused by the gate', { code, reason, workflowId: currentCase().workflowId, ...ids });
    ctx.metricMeter
      .createCounter(DECISIONS_REFUSED_METRIC, undefined, 'Decisions refused by the worker gate (forged, stale, not authorized)')
      .add(1, { reason });
    return { ok: false, code, message, policyVersion };
  };

  const unverified = (reason: string, caseType: string, ids: Record<string, string | undefined> = {}) => {
    const ctx = Context.current();
    // Ids only: the facts themselves (amounts, accounts) stay in history, not in logs.
    ctx.log.warn('case facts not verified: nothing is automated on them', {
      reason,
      caseType,
      workflowId: currentCase().workflowId,
      ...ids,
    });
    ctx.metricMeter
      .createCounter(CASE_FACTS_UNVERIFIED_METRIC, undefined, 'Cases whose facts are unsigned or altered (never automated)')
      .add(1, { reason, case_type: caseType });
  };

  return {
    async loadPolicy() {
      return deps.policy();
    },

    async verifyCaseInput({ input }) {
      const check = verifyCaseFacts(deps.decisionKey, currentCase().workflowId, input);
      if (!check.ok) unverified(check.reason, typeof input?.caseType === 'string' ? input.caseType : 'unknown');
      return check;
    },

    async attestChosenCase({ input, chosen, requestId, vote }) {
      const { workflowId } = currentCase();
      const own = verifyCaseFacts(deps.decisionKey, workflowId, input);
      if (!own.ok) {
        unverified(own.reason, 'triage', { chosen });
        return { ok: false, reason: own.reason };
      }
      // The choice itself: the vote the gate counted, its proof verified again (bound to this case and request).
      const proof = verifyDecision(deps.decisionKey, workflowId, voteAsDecision(requestId, vote));
      if (!proof.ok || proof.decision.action !== DecisionAction.ChooseCase || proof.decision.caseType !== chosen) {
        unverified('choice_not_verified', 'triage', { chosen, requestId });
        return { ok: false, reason: 'choice_not_verified' };
      }
      const child = { ...input, caseType: chosen, candidateCaseTypes: undefined, attestation: undefined };
      return {
        ok: true,
        attestation: attestCaseFacts(deps.decisionKey, caseWorkflowId(input.call.callId, chosen), child, {
          by: 'worker',
          now: deps.now?.() ?? new Date(),
        }),
      };
    },

    async authorizeDecision({ decision, request }) {
      const policy = deps.policy();
      const { workflowId } = currentCase();
      const ids = {
        requestId: typeof decision?.requestId === 'string' ? decision.requestId : undefined,
        actorId: typeof decision?.actor?.id === 'string' ? decision.actor.id : undefined,
      };
      const proof = verifyDecision(deps.decisionKey, workflowId, decision, {
        now: deps.now?.() ?? new Date(),
        maxAgeMs: DECISION_PROOF_MAX_AGE_MS,
      });
      if (!proof.ok) {
        return refused(
          DecisionRejection.Unauthenticated,
          proof.reason,
          'this decision did not come through an authenticated path (signed Slack interaction or operator API); nothing changed',
          policy.version,
          ids,
        );
      }
      const d = proof.decision;
      if (d.requestId !== request.requestId)
        return refused(
          DecisionRejection.StaleRequest,
          'other_request',
          'this request is no longer open; nothing changed',
          policy.version,
          ids,
        );
      if (!request.allowedActions.includes(d.action))
        return refused(
          DecisionRejection.InvalidAction,
          'action_not_offered',
          `"${d.action}" is not offered on this request`,
          policy.version,
          ids,
        );
      // Only an acknowledgement (it moves no money and changes no record) admits people outside the policy.
      const eligible = [
        ...new Set([
          ...eligibleApprovers(policy, request.escalated),
          ...(request.kind === 'acknowledge' ? (request.alsoEligible ?? []) : []),
        ]),
      ];
      if (!eligible.includes(d.actor.id))
        return refused(DecisionRejection.NotAuthorized, 'not_an_approver', 'you are not an approver for this request', policy.version, ids);
      // A hand-off goes only to someone who may decide this request under the policy now, never to the hander.
      if (d.action === DecisionAction.HandOff && (!d.handTo || d.handTo === d.actor.id || !eligible.includes(d.handTo)))
        return refused(
          DecisionRejection.InvalidHandOff,
          'hand_off_target',
          'a request can be handed only to another approver of it',
          policy.version,
          ids,
        );
      // A money approval counts only for what the approver was shown: the signed subject must be the request's.
      if (request.subject && d.action === (request.countingAction ?? DecisionAction.Approve) && !sameSubject(d.subject, request.subject))
        return refused(
          DecisionRejection.StaleRequest,
          'subject_mismatch',
          'this button was for another amount, invoice or kind than the request now shows; nothing changed',
          policy.version,
          ids,
        );
      const required = request.amount ? requiredApprovals(request.amount, policy) : Math.max(1, request.fixedRequired ?? 1);
      return { ok: true, decision: d, proof: decision.proof as DecisionProof, policyVersion: policy.version, eligible, required };
    },
  };
}
