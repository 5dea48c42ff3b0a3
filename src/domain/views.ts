/**
 * View models of what people see about a case (Slack approval requests and finance alerts):
 * rendering-neutral, shared by the workflows that build them, the Slack activities that turn them
 * into Block Kit, and the edge. Pure types.
 */
import type { CaseType, Urgency } from './case';
import type { ApprovalActionView, DecisionAction } from './decision';

/** A Slack message (channel + ts identify it). */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

/** One labelled fact on the request; `previous` shows old vs new (address changes). */
export interface ApprovalFieldView {
  label: string;
  value: string;
  previous?: string;
}

/** A vote already cast on the request. Actor is a Slack user id (render as a mention). */
export interface ApprovalVoteView {
  actorId: string;
  actorName?: string;
  action: DecisionAction;
  /** ISO timestamp. */
  at: string;
  reason?: string;
  /** Hand-offs: to whom (a Slack user id). */
  handTo?: string;
  /** Triage: the label of the case chosen ("Invoice resend"), so the record names the choice made. */
  choice?: string;
}

/** Where the request stands; `open` is the only state that shows buttons. */
export type ApprovalViewState = 'open' | 'approved' | 'rejected' | 'expired' | 'decided' | 'cancelled';

/**
 * Everything a Slack approval message shows. Built by the workflow, rendered by the Slack
 * activities. Contains no contact details (emails, phones): the billing note lines are built for
 * the Slack destination.
 */
export interface ApprovalRequestView {
  /** The case's workflow id: goes into every button value. */
  workflowId: string;
  /** The approval request id (uuid4 from the workflow): goes into every button value. */
  requestId: string;
  caseType: CaseType;
  /** e.g. `Refund approval: INV-1001, USD 120.00`. */
  title: string;
  urgency: Urgency;
  /** The billing note (docs/product.md §2), one line per entry, Slack destination. */
  noteLines: string[];
  fields: ApprovalFieldView[];
  /** Buttons; rendered only while `state` is `open`. */
  actions: ApprovalActionView[];
  /** Slack user ids whose decision counts (first tier, plus second tier once escalated). */
  eligibleApprovers: string[];
  /** Distinct approvals needed. */
  required: number;
  votes: ApprovalVoteView[];
  state: ApprovalViewState;
  /** e.g. `Waiting for 1 more approval (1 of 2)`, `Approved by <@U1> and <@U2>`, `Expired: no money moved`. */
  statusLine: string;
  /** Slack user ids to mention in the message (owners, approvers on escalation). */
  mentions: string[];
  /** Links (transcript, recording, CRM, ticket, Temporal UI, payment platform). */
  links: { label: string; url: string }[];
}

/** A finance alert (payment blocker, insufficient wallet balance, needs-attention). */
export interface FinanceAlertView {
  workflowId: string;
  title: string;
  urgency: Urgency;
  noteLines: string[];
  fields: ApprovalFieldView[];
  /** Slack user ids mentioned in the alert (e.g. the account owner). */
  mentions: string[];
  links: { label: string; url: string }[];
  /**
   * Optional buttons (e.g. "I'm on it" for a payment blocker); needs `requestId` then.
   * Rendered and valued exactly as on an approval request.
   */
  actions?: ApprovalActionView[];
  requestId?: string;
}
