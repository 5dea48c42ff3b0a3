/**
 * What a case reports: the records it touched, its handoff (docs/product.md §2) and its typed state,
 * returned by the status query and as the workflow result. Pure types.
 */
import type { CaseStatus, CaseType, Urgency } from './case';
import type { ApprovalVote, PendingApproval } from './decision';

/** A record the case touched in another system. */
export interface RecordRef {
  system: 'quickbooks' | 'skyfire' | 'hubspot' | 'gmail' | 'slack' | 'zendesk' | 'drive';
  object: string;
  id: string;
  url?: string;
}

/** The handoff of docs/product.md §2: what the caller asked for and who owns the next step. */
export interface Handoff {
  request: string;
  destinationObject?: RecordRef;
  /** Who owns the next step: an opaque id (Slack user, HubSpot owner) or a team (`finance`, `support`); search attributes carry it. */
  owner?: string;
  /** The owner as people read it ("Olivia Owner", "Finance team"): notes show this, never the raw id. */
  ownerName?: string;
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
