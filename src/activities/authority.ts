/**
 * Checks, inside an activity, that a person really approved what the activity is about to do
 * (an exception to a rule, such as sending a document to an address not on file): every vote's
 * proof is verified with the decision key and the voter must be an approver under the worker's
 * policy now. The workflow's word is not enough: a forged or buggy workflow cannot make an
 * activity act on an approval nobody gave.
 */
import { DecisionAction, type ApprovalVote } from '../domain/decision';
import { eligibleApprovers, type MoneyPolicy } from '../domain/policy';
import { verifyDecision, voteAsDecision } from '../proofs/decision-proof';

export interface ApprovalVerifier {
  /** Distinct eligible approvers whose `action` vote on `requestId` carries a valid proof for `workflowId`. */
  verifiedApprovers(
    workflowId: string,
    approval: { requestId: string; escalated: boolean; votes: ApprovalVote[] },
    action?: DecisionAction,
  ): string[];
}

export function createApprovalVerifier(deps: { decisionKey: string; policy: () => MoneyPolicy }): ApprovalVerifier {
  return {
    verifiedApprovers(workflowId, approval, action = DecisionAction.Approve) {
      const eligible = new Set(eligibleApprovers(deps.policy(), approval.escalated));
      const ok = approval.votes.filter(
        (v) =>
          v.action === action &&
          eligible.has(v.actor.id) &&
          verifyDecision(deps.decisionKey, workflowId, voteAsDecision(approval.requestId, v)).ok,
      );
      return [...new Set(ok.map((v) => v.actor.id))];
    },
  };
}
