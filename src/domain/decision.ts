/**
 * Human decisions on a case's approval requests: the actions, what a decision carries, how it is
 * proven to come through an authenticated path (the API signs it; the worker verifies it outside
 * the workflow sandbox), and how refusals are named. Pure types and constants.
 */
import type { CaseType, Money } from './case';

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
  /**
   * "I'm out: hand to ...": the decider passes the request to another eligible approver (`handTo`).
   * It counts towards nothing and closes nothing; the hander has answered this request, and the
   * request now waits on the person it was handed to (reminders, the Home tab, waiting-on).
   */
  HandOff: 'hand_off',
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
  hand_off: 'Handed off',
};

/** A human decision on one approval request. */
/**
 * What a money request decides on: the amount, its currency, the invoice (QuickBooks Invoice.Id)
 * and the kind of record. Shown on the approver's button and signed with the decision, so an
 * approval of one refund can never be spent on another amount, invoice or kind.
 */
export interface DecisionSubject {
  amountMinor: number;
  currency: string;
  invoiceId?: string;
  /** `refund_receipt` or `credit_memo`. */
  kind: string;
}

export function sameSubject(a: DecisionSubject | undefined, b: DecisionSubject | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.amountMinor === b.amountMinor && a.currency === b.currency && (a.invoiceId ?? null) === (b.invoiceId ?? null) && a.kind === b.kind
  );
}

export interface Decision {
  /** The approval request this answers; a decision on an old request changes nothing. */
  requestId: string;
  action: DecisionAction;
  /** Who decided: Slack user id (and display name for the audit trail, never an email). */
  actor: { id: string; name?: string };
  reason?: string;
  /** For ChooseCase. */
  caseType?: CaseType;
  /** For HandOff: the Slack user id the request is handed to. */
  handTo?: string;
  /** Money requests: what the approver saw and approved (signed with the rest). */
  subject?: DecisionSubject;
  source: DecisionSource;
  /** Operator API only: the authenticated caller (recorded with the vote). */
  via?: string;
}

/** The authenticated paths a decision can come through: the signed Slack interaction, or the operator API (API token; caller recorded). */
export type DecisionSource = 'slack' | 'operator';

/**
 * Proof that a decision came through an authenticated path: an HMAC-SHA256, made by the API with
 * the decision key that only the API and the worker hold, over the case's workflow id and every
 * field of the decision (src/proofs/decision-proof.ts). The workflow cannot check it (the key
 * never enters history); the worker's gate activity does, outside the workflow sandbox.
 */
export interface DecisionProof {
  /** Format version of the signed text. */
  v: 1;
  /** ISO timestamp the API signed at; a proof older than a few minutes is not accepted for a new decision. */
  issuedAt: string;
  /** base64url HMAC-SHA256. */
  mac: string;
}

/** A decision as it travels to the workflow: the claims and their proof. Without a valid proof it changes nothing. */
export interface SignedDecision extends Decision {
  proof?: DecisionProof;
}

/** Longest reason a decision may carry (the API refuses longer ones before signing; the workflow refuses them too). */
export const MAX_DECISION_REASON = 500;

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
  /** No valid proof of an authenticated path (forged, tampered, replayed on another request, or stale). */
  Unauthenticated: 'unauthenticated',
  /** A hand-off to oneself, to someone who is not an approver of the request, or to someone who already answered it. */
  InvalidHandOff: 'invalid_hand_off',
} as const;
export type DecisionRejection = (typeof DecisionRejection)[keyof typeof DecisionRejection];
export const DECISION_REJECTED_ERROR_TYPE = 'DecisionRejected';

export interface ApprovalVote {
  actor: { id: string; name?: string };
  action: DecisionAction;
  reason?: string;
  /** ISO timestamp (workflow time). */
  at: string;
  /** Set by the verifying side (the gate activity), never taken from the caller. */
  source: DecisionSource;
  /** The proof the vote was verified with; the money path verifies it again before money moves. */
  proof?: DecisionProof;
  /** Version of the worker's policy the vote was checked against (src/domain/policy.ts). */
  policyVersion?: string;
  /** Operator API only: who called it (the authenticated caller), as the API recorded it. */
  via?: string;
  /** Triage: the case type chosen (part of what was signed). */
  caseType?: CaseType;
  /** HandOff: to whom (part of what was signed). */
  handTo?: string;
  /** Money requests: what was approved (part of what was signed). */
  subject?: DecisionSubject;
}

/** A button on an approval request. Its Slack `value` carries workflowId + requestId + action (+ caseType). */
export interface ApprovalActionView {
  action: DecisionAction;
  label: string;
  style?: 'primary' | 'danger';
  /** For `choose_case` buttons (triage): which case the click chooses. */
  caseType?: CaseType;
  /** Money requests' counting button: what a click approves (carried in the button, signed by the API). */
  subject?: DecisionSubject;
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
  /** The amount the request decides on (money requests). */
  amount?: Money;
  /** Money requests: amount, currency, invoice and kind, which a counting decision must carry, signed. */
  subject?: DecisionSubject;
  /**
   * What the approval tier is decided on: the amount plus what the customer had refunded or
   * credited within the policy's window (settled or pending in the ledger) when the request was
   * made; the worker's policy derives the approvals needed from it. Absent: the amount alone.
   */
  tierAmount?: Money;
  /** The buttons the request offers (so other surfaces, such as the Slack Home tab, can offer the same). */
  actions?: ApprovalActionView[];
}

/** The hand-offs on a request, oldest first: who passed it to whom. */
export function handOffs(p: Pick<PendingApproval, 'votes'>): { from: string; to: string; at: string }[] {
  return p.votes.filter((v) => v.action === DecisionAction.HandOff && v.handTo).map((v) => ({ from: v.actor.id, to: v.handTo!, at: v.at }));
}

/**
 * Whom an open request waits on (reminders mention them; visibility's BillingWaitingOn lists them;
 * the Home tab shows them the request): the eligible approvers who have not answered it. Once it
 * was handed off, the people it was handed to, and the others only while the hand-offs alone
 * cannot make up the approvals still needed.
 */
export function waitingOn(p: Pick<PendingApproval, 'eligibleApprovers' | 'votes' | 'required'>): string[] {
  const answered = new Set(p.votes.map((v) => v.actor.id));
  const undecided = p.eligibleApprovers.filter((id) => !answered.has(id));
  const handedTo = [...new Set(handOffs(p).map((h) => h.to))].filter((id) => undecided.includes(id));
  if (handedTo.length === 0) return undecided;
  const stillNeeded = p.required - p.votes.filter((v) => v.action !== DecisionAction.HandOff).length;
  return handedTo.length >= stillNeeded ? handedTo : [...new Set([...handedTo, ...undecided])];
}
