/**
 * Messages shared by the workflows and their callers (the API's Slack route, operators, tests).
 * Wire names are short strings; the constants carry a kind suffix.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CaseStatus, CaseType, Urgency } from '../domain/case';

export const DecisionAction = {
  Approve: 'approve',
  Reject: 'reject',
  /** Disputes: accept the customer's dispute (leads to the refund path). */
  Accept: 'accept',
  Contest: 'contest',
  NeedInfo: 'need_info',
  /** Payment blocker: "I'm on it". */
  Acknowledge: 'acknowledge',
  /** Triage: this call is case type X (`caseType` says which). */
  ChooseCase: 'choose_case',
  NotBilling: 'not_billing',
} as const;
export type DecisionAction = (typeof DecisionAction)[keyof typeof DecisionAction];

/** How a decision reads in Slack messages and decision outcomes: "Approved by ...". */
export const DECISION_VERB: Record<DecisionAction, string> = {
  approve: 'Approved',
  reject: 'Rejected',
  accept: 'Accepted',
  contest: 'Contested',
  need_info: 'More information requested',
  acknowledge: 'Acknowledged',
  choose_case: 'Case chosen',
  not_billing: 'Marked not billing',
};

/** A human decision on one approval request. */
export interface Decision {
  /** The approval request this answers; a decision on an old request changes nothing. */
  requestId: string;
  action: DecisionAction;
  /** Who decided: Slack user id (and display name for the audit trail, never an email). */
  actor: { id: string; name?: string };
  reason?: string;
  /** For ChooseCase. */
  caseType?: CaseType;
  source: 'slack' | 'operator';
}

/** What the decider learns when a decision was accepted. */
export interface DecisionOutcome {
  /** `counted`: an approval was recorded, more are needed; `decided`: the request is closed. */
  status: 'counted' | 'decided';
  approvals: number;
  required: number;
  /** Human-readable, e.g. "Approved by Dana (1 of 2)". */
  message: string;
}

/**
 * Why a decision was refused. The update validator throws an ApplicationFailure of type
 * `DecisionRejected` whose message starts with one of these codes and a colon.
 */
export const DecisionRejection = {
  NotAuthorized: 'not_authorized',
  AlreadyCounted: 'already_counted',
  StaleRequest: 'stale_request',
  CaseClosed: 'case_closed',
  InvalidAction: 'invalid_action',
} as const;
export type DecisionRejection = (typeof DecisionRejection)[keyof typeof DecisionRejection];
export const DECISION_REJECTED_ERROR_TYPE = 'DecisionRejected';

export interface ApprovalVote {
  actor: { id: string; name?: string };
  action: DecisionAction;
  reason?: string;
  /** ISO timestamp (workflow time). */
  at: string;
  source: 'slack' | 'operator';
}

export interface PendingApproval {
  requestId: string;
  /** What is being decided, e.g. `refund`, `address_change`, `dispute`, `triage`, `acknowledge`. */
  kind: string;
  eligibleApprovers: string[];
  required: number;
  votes: ApprovalVote[];
  escalated: boolean;
  slackMessage?: { channel: string; ts: string };
  /** ISO timestamps. */
  requestedAt: string;
  expiresAt: string;
}

/** A record the case touched in another system. */
export interface RecordRef {
  system: 'quickbooks' | 'skyfire' | 'hubspot' | 'gmail' | 'slack' | 'zendesk' | 'drive';
  object: string;
  id: string;
  url?: string;
}

/** The handoff of product.md §2: what the caller asked for and who owns the next step. */
export interface Handoff {
  request: string;
  destinationObject?: RecordRef;
  owner?: string;
  status: CaseStatus;
  urgency: Urgency;
  nextStep?: string;
  nextStepDeadline?: string;
  recordUrl?: string;
}

/** Typed case state returned by statusQuery (the audit view next to the Temporal UI). */
export interface CaseState {
  caseType: CaseType;
  callId: string;
  status: CaseStatus;
  pendingApproval?: PendingApproval;
  /** Every decision taken on this case, oldest first. */
  decisions: (ApprovalVote & { requestId: string })[];
  handoff: Handoff;
  records: RecordRef[];
  /** Why the case failed closed, was rejected, or needs attention. */
  reason?: string;
  /** Triage: the case it started (workflow id as intake would derive it). */
  startedCase?: { caseType: CaseType; workflowId: string };
}

/** Decide on the current approval request. An update, not a signal: the clicker must learn whether it counted. */
export const decideUpdate = defineUpdate<DecisionOutcome, [Decision]>('decide');
/** The same decision as a signal, for operators deciding from the Temporal UI or CLI. Same rules. */
export const decideSignal = defineSignal<[Decision]>('decideSignal');
export const statusQuery = defineQuery<CaseState>('status');
