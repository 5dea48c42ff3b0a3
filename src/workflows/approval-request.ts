/**
 * An approval request as the case runtime holds it while it waits (at most one at a time per
 * case): the pending request, what its buttons allow, how it ended. Shared by the runtime, the
 * decision gate (which counts votes on it) and approval.ts (which opens and closes it). Types only.
 */
import type { CaseStatus } from '../domain/case';
import type { ApprovalVote, Decision, DecisionAction, PendingApproval } from '../domain/decision';
import type { ApprovalRequestView, ApprovalViewState } from '../domain/views';

/** How an open approval request ended. */
export type RequestClosure =
  | { kind: 'approved'; votes: ApprovalVote[]; requestId: string; escalated: boolean }
  /** A closing action other than the counting one (reject, contest, choose_case, ...). */
  | { kind: 'decided'; action: DecisionAction; vote: ApprovalVote; caseType?: Decision['caseType'] }
  | { kind: 'expired' }
  /** The case was cancelled while the request was open. */
  | { kind: 'cancelled' };

/** An approval request the runtime is waiting on (at most one at a time per case). */
export interface OpenRequest {
  pending: PendingApproval;
  /** Actions the request's buttons offer; anything else is refused. */
  allowedActions: DecisionAction[];
  /** The action that counts towards `required` (approve; accept for disputes). Others close at once. */
  countingAction: DecisionAction;
  closure?: RequestClosure;
  /** Votes changed and the Slack message has not been updated yet. */
  dirty: boolean;
  /** Requests that are not about an amount: the distinct approvals they need. */
  fixedRequired?: number;
  /** Acknowledgement requests: who may decide besides the policy's approvers (the account owner). */
  alsoEligible?: string[];
  /** The request's Slack message in a given state (set by requestApproval once it is posted). */
  render?: (state: ApprovalViewState, outcome?: ApprovalOutcome) => ApprovalRequestView;
  /** Step prefix of the request's Slack writes (`refund.approval.1`). */
  step?: string;
  /** The update that took the buttons off; a later update waits for it so Slack shows the newest state last. */
  finalUpdate?: Promise<unknown>;
}

/** What happened after the decision, for the request's last Slack update (e.g. the record written). */
export interface ApprovalOutcome {
  /** The status line ("Refund recorded in QuickBooks, RefundReceipt 9004"). */
  text: string;
  status: CaseStatus;
  nextStep: string;
}
