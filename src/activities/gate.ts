/**
 * The decision gate, worker side (product.md §5): the checks a workflow cannot make itself because
 * they need the decision key or the worker's configuration, neither of which may enter history.
 * Both run as local activities, so their results are markers in the asking workflow's history:
 * which policy version applied, and whether a decision's proof held.
 *
 * - `loadPolicy`: the worker's money policy now (approvers, tiers, per-currency limits).
 * - `authorizeDecision`: verifies the decision's proof (made by the API after it authenticated the
 *   caller), then applies the policy now: the actor must be an approver of the request's tier.
 *   `source` and `actor` of the result come from the verified claims. A refusal is logged with ids
 *   only and counted in `billing_decisions_refused{reason}`.
 */
import { Context } from '@temporalio/activity';
import type { Money } from '../domain/case';
import {
  DecisionAction,
  DecisionRejection,
  sameSubject,
  type Decision,
  type DecisionProof,
  type DecisionSubject,
  type SignedDecision,
} from '../domain/decision';
import { eligibleApprovers, type MoneyPolicy } from '../domain/policy';
import { requiredApprovals } from '../policy/thresholds';
import { DECISION_PROOF_MAX_AGE_MS, verifyDecision } from '../security/decision-signing';
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

export interface GateActivities {
  loadPolicy(): Promise<MoneyPolicy>;
  authorizeDecision(input: { decision: SignedDecision; request: DecisionRequestFacts }): Promise<AuthorizeResult>;
}

export interface GateActivityDeps {
  /** The worker's policy now. */
  policy: () => MoneyPolicy;
  decisionKey: string;
  now?: () => Date;
}

export const DECISIONS_REFUSED_METRIC = 'billing_decisions_refused';

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

  return {
    async loadPolicy() {
      return deps.policy();
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
