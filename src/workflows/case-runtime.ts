/**
 * What every case workflow shares: its typed state (statusQuery), the endings (finish, fail,
 * cancel, invalid input), background steps, and the activity proxies (activity-proxies.ts). The
 * seams live beside it: decisions in decision-gate.ts and approval.ts, search attributes and
 * current details in visibility.ts, facts/records/notes in case-ledger.ts, money in money-path.ts.
 *
 * One `CaseRuntime` per workflow execution, created first thing in the workflow function, so the
 * handlers exist before any decision can arrive.
 */
import { ActivityFailure, ApplicationFailure, allHandlersFinished, condition, log, setHandler, workflowInfo } from '@temporalio/workflow';
import type { CaseActivities } from '../activities/contract';
import type { TicketComment } from '../domain/records';
import { CaseStatus, type CaseInput } from '../domain/case';
import type { MoneyPolicy } from '../domain/policy';
import { scrubContactDetails, type NoteDestination } from '../policy/billing-note';
import { caseStatusText } from '../policy/wording';
import { HANDOFF_MAPPING } from '../policy/handoff';
import { recordCaseEvent } from './case-metrics';
import { CaseLedger, describeRequest } from './case-ledger';
import { installDecisionGate } from './decision-gate';
import type { OpenRequest } from './approval-request';
import { statusQuery } from './messages';
import type { CaseState, Handoff, RecordRef } from '../domain/case-state';
import { CaseVisibility, initialSearchAttributes } from './visibility';
import { casePatched } from './patches';
import { proxies, type LocalMoneyActivities, type WriteOutcome } from './activity-proxies';

/** Statuses after which nothing more happens on the case. */
const TERMINAL: ReadonlySet<CaseStatus> = new Set([
  CaseStatus.Completed,
  CaseStatus.Rejected,
  CaseStatus.Expired,
  CaseStatus.NeedsAttention,
  CaseStatus.Failed,
  CaseStatus.Cancelled,
]);

/** Parts of the case's state a note may be built with ahead of the state itself (the decided Slack message). */
export interface NoteOverride {
  status?: CaseStatus;
  nextStep?: string;
}

export class CaseRuntime {
  readonly state: CaseState;
  readonly workflowId: string;
  readonly acts: CaseActivities;
  /** Money writes as local activities, for cases that take `reserve-money-local` (money-path.ts). */
  readonly localActs: LocalMoneyActivities;
  /** Facts, records, the ticket and the notes made from them (case-ledger.ts). */
  readonly ledger: CaseLedger;
  /** Steps that wrote (or may have written) to an outside system, in order. */
  readonly writes: string[] = [];
  /** How each of `writes` ended: done, refused by the system (nothing written), unknown, or still running. */
  readonly writeOutcomes = new Map<string, WriteOutcome>();
  current?: OpenRequest;
  private requestCount = 0;
  private finished = false;
  /** Search attributes and current details, batched (visibility.ts). */
  private readonly visibility = new CaseVisibility();
  /** Steps started with `inBackground`, settled by `finish()`. */
  private background: Promise<void>[] = [];
  private backgroundFailures: unknown[] = [];
  private startingBackground = false;

  constructor(readonly input: CaseInput) {
    this.workflowId = workflowInfo().workflowId;
    this.ledger = new CaseLedger(input);
    const acts = proxies(
      (_name, step) => {
        this.writes.push(step);
        this.writeOutcomes.set(step, 'running');
        return (outcome) => this.writeOutcomes.set(step, outcome);
      },
      () => this.flushBeforeActivity(),
    );
    this.acts = acts;
    this.localActs = acts.local;
    const spec = HANDOFF_MAPPING[input.caseType];
    this.state = {
      caseType: input.caseType,
      callId: input.call.callId,
      status: CaseStatus.Received,
      decisions: [],
      handoff: {
        request: describeRequest(input),
        status: CaseStatus.Received,
        urgency: spec.urgency ?? 'normal',
        nextStep: spec.nextStep,
        ...(spec.destinationObject ? { destinationObject: { ...spec.destinationObject, id: 'pending' } } : {}),
      },
      records: [],
    };
    setHandler(statusQuery, () => this.state);
    installDecisionGate(this);
    this.visibility.stage(initialSearchAttributes(input, this.state.handoff.urgency));
    recordCaseEvent(input.caseType, 'started');
    this.refresh();
  }

  get callId(): string {
    return this.input.call.callId;
  }

  /** `patched(id)` for this case: true without a marker when its stamped release includes the patch (patches.ts). */
  patched(patchId: string): boolean {
    return casePatched(this.input, patchId);
  }

  /** The next approval request's ordinal: step names stay stable across replays. */
  nextRequestNumber(): number {
    this.requestCount += 1;
    return this.requestCount;
  }

  /** Moves the case to `status`, keeps the search attributes and current details in step. */
  setStatus(status: CaseStatus, reason?: string): void {
    this.state.status = status;
    this.state.handoff.status = status;
    if (reason !== undefined) this.state.reason = reason;
    this.refresh();
  }

  setHandoff(patch: Partial<Handoff>): void {
    // A new owner without a name drops the old owner's name (the note falls back to the team's or id's wording).
    if ('owner' in patch && !('ownerName' in patch) && patch.owner !== this.state.handoff.owner) delete this.state.handoff.ownerName;
    Object.assign(this.state.handoff, patch);
    this.refresh();
  }

  addRecord(ref: RecordRef): void {
    this.ledger.addRecord(this.state, ref);
    // The handoff's destination (a ticket, a Slack message) names the record once it exists, not "pending".
    const dest = this.state.handoff.destinationObject;
    if (dest?.id === 'pending' && dest.system === ref.system && dest.object === ref.object)
      this.setHandoff({ destinationObject: { system: ref.system, object: ref.object, id: ref.id, ...(ref.url ? { url: ref.url } : {}) } });
  }

  /** Key facts for the billing note (short lines; contact details are scrubbed per destination). */
  get facts(): string[] {
    return this.ledger.facts;
  }

  /** Zendesk ticket of the case, once opened. */
  get ticket(): RecordRef | undefined {
    return this.ledger.ticket;
  }
  set ticket(t: RecordRef | undefined) {
    this.ledger.ticket = t;
    // A case whose handoff lands on the ticket names it from now on (not "ticket pending").
    const dest = this.state.handoff.destinationObject;
    if (t && dest?.system === 'zendesk' && dest.object === 'ticket' && dest.id === 'pending')
      this.setHandoff({ destinationObject: { ...t } });
  }

  /** Skyfire KYA token id, once one is attached. */
  get kyaTokenId(): string | undefined {
    return this.ledger.kyaTokenId;
  }
  set kyaTokenId(id: string | undefined) {
    this.ledger.kyaTokenId = id;
  }

  /**
   * What the money path ended with, once it reserved money (settled with its record, released, or
   * kept pending for a person): an ending that comes afterwards (an operator's cancel) repeats it
   * instead of claiming nothing happened.
   */
  moneyOutcome?: string;

  /** A comment kept for the final ticket update (steps.ts `noteTicketAtEnd`); written by `settleTicket` or `cancel()`. */
  endComment?: TicketComment;

  /** The billing note for one destination (docs/product.md §2). */
  note(destination: NoteDestination, override: NoteOverride = {}): string {
    if (override.status === undefined && override.nextStep === undefined) return this.ledger.note(destination, this.state);
    const status = override.status ?? this.state.status;
    const handoff = {
      ...this.state.handoff,
      status,
      ...(override.nextStep !== undefined ? { nextStep: override.nextStep, nextStepDeadline: undefined } : {}),
    };
    return this.ledger.note(destination, { ...this.state, status, handoff });
  }

  /** Links for Slack messages (no contact details). */
  links(): { label: string; url: string }[] {
    return this.ledger.links();
  }

  /** Opens a request; the update/signal handlers route decisions to it. */
  openRequest(req: OpenRequest): void {
    this.current = req;
    this.state.pendingApproval = req.pending;
    this.refresh();
  }

  /** Clears the open request after it closed (it stays in `decisions`). */
  closeRequest(): void {
    this.state.pendingApproval = undefined;
    this.refresh();
  }

  /**
   * Ends the case: waits for running handlers, records the final state. Returns the state, which
   * is also the workflow's result.
   */
  async finish(status: CaseStatus, reason?: string, opts: { nextStep?: string } = {}): Promise<CaseState> {
    await this.settleBackground();
    this.finished = true;
    this.completeHandoff();
    // The next step as the case ends, not the one of the request it waited on ("Approve or reject ...").
    // `opts.nextStep`: the ending names its own (a call stopped at the intake review is handled by hand).
    const next = this.state.handoff.nextStep ?? '';
    if (opts.nextStep !== undefined) this.setHandoff({ nextStep: opts.nextStep });
    else if (status === CaseStatus.Rejected && !/^none\b/i.test(next)) this.setHandoff({ nextStep: 'None: rejected, nothing was done' });
    if (status === CaseStatus.Expired)
      this.setHandoff({
        nextStep: 'Reply to the customer on the ticket: no decision was made in time, nothing was done',
        nextStepDeadline: undefined,
      });
    this.setStatus(status, reason);
    recordCaseEvent(
      this.input.caseType,
      status === CaseStatus.Expired
        ? 'expired'
        : status === CaseStatus.Completed || status === CaseStatus.Rejected
          ? 'completed'
          : 'failed',
    );
    // The ticket ends as the case does: the final note, a status and an assignee (one more activity:
    // cases started before this change replay without it).
    if (this.ticket && this.patched(FINAL_TICKET_PATCH)) await this.settleTicket(status);
    this.flush();
    await condition(allHandlersFinished);
    return this.state;
  }

  /**
   * The case's last word on its ticket: the billing note as the case ends (final status, owner by
   * name, next step, records), the ticket left solved when nothing is left to do, open when a
   * person must act (expired, needs attention), pending otherwise (the customer may reply), and
   * assigned to whoever owns what is left.
   */
  private async settleTicket(status: CaseStatus): Promise<void> {
    const ticket = this.ticket;
    if (!ticket) return;
    const h = this.state.handoff;
    const ticketStatus =
      status === CaseStatus.Expired || status === CaseStatus.NeedsAttention || status === CaseStatus.Failed
        ? 'open'
        : !h.nextStep || /^none\b/i.test(h.nextStep)
          ? 'solved'
          : 'pending';
    const assignee = await this.assigneeSlackUserId();
    try {
      await this.acts.settleTicket({
        step: 'ticket.final',
        ticketId: ticket.id,
        status: ticketStatus,
        note: this.note('zendesk'),
        ...(assignee ? { assigneeSlackUserId: assignee } : {}),
        ...(this.endComment ? { comment: this.endComment } : {}),
      });
    } catch (err) {
      // The case's outcome stands when its last note cannot be written (a ticket closed meanwhile,
      // Zendesk down past the retries): the failure is logged, the case ends as it was ending.
      if (!(err instanceof ActivityFailure)) throw err;
      log.error('final ticket update failed', { ticketId: ticket.id, error: err.cause?.message ?? err.message });
    }
  }

  /** Who the ticket is assigned to: the owner when it is a person, else whoever decided last, else the first finance approver. */
  private async assigneeSlackUserId(): Promise<string | undefined> {
    const owner = this.state.handoff.owner;
    if (owner && SLACK_USER_ID.test(owner)) return owner;
    const decider = [...this.state.decisions].reverse().find((d) => SLACK_USER_ID.test(d.actor.id));
    if (decider) return decider.actor.id;
    return (await this.policy()).approvers[0];
  }

  /**
   * Runs a step the case does not need to wait for (e.g. taking the buttons off a closed Slack
   * request) beside the next ones; `finish()` waits for it, and its failure fails the case there.
   */
  inBackground(start: () => Promise<unknown>): void {
    // No flush here: the main flow goes on in this workflow task and flushes at its next wait, so
    // this task still sends one upsert.
    this.startingBackground = true;
    let step: Promise<unknown>;
    try {
      step = start();
    } finally {
      this.startingBackground = false;
    }
    // Handled at once, so the workflow never sees an unhandled rejection; rethrown by finish().
    this.background.push(
      step.then(
        () => undefined,
        (err: unknown) => {
          this.backgroundFailures.push(err);
        },
      ),
    );
  }

  /** Waits for background steps; throws the first failure once (a second finish() then proceeds). */
  private async settleBackground(): Promise<void> {
    while (this.background.length > 0) await Promise.all(this.background.splice(0));
    const failure = this.backgroundFailures.shift();
    this.backgroundFailures = [];
    if (failure !== undefined) throw failure;
  }

  /** Fills what the handoff mapping promises (owner, record URL) from what the case learned. */
  private completeHandoff(): void {
    const spec = HANDOFF_MAPPING[this.input.caseType];
    const h = this.state.handoff;
    if (!h.owner && spec.owner) h.owner = spec.owner === 'account_owner' ? 'account_owner (unresolved)' : spec.owner;
    if (!h.recordUrl) {
      const slack = this.state.records.find((r) => r.system === 'slack');
      const byKind: Record<string, string | undefined> = {
        zendesk_ticket: this.ticket?.url,
        quickbooks_record: h.destinationObject?.system === 'quickbooks' ? h.destinationObject.url : undefined,
        hubspot_record: h.destinationObject?.system === 'hubspot' ? h.destinationObject.url : this.input.fields.crmUrl,
        slack_message: slack?.url,
      };
      const url = (spec.recordUrl && byKind[spec.recordUrl]) ?? this.ticket?.url ?? h.destinationObject?.url;
      if (url) h.recordUrl = url;
    }
  }

  /**
   * A business failure before anything was written outside (an activity that gave up, a permanent
   * error): the case is marked failed, visibility says so, and the caller rethrows, failing the
   * workflow with that failure.
   */
  fail(reason: string): void {
    this.finished = true;
    this.setStatus(CaseStatus.Failed, reason);
    recordCaseEvent(this.input.caseType, 'failed');
    this.flush();
  }

  /**
   * The case is being cancelled (an operator's Temporal cancel): an open request is closed, its
   * Slack message loses its buttons and says so, visibility says cancelled. Runs in a
   * non-cancellable scope; the caller rethrows the cancellation so the workflow ends cancelled.
   */
  async cancel(): Promise<void> {
    this.finished = true;
    const req = this.current;
    const open = req && !req.closure;
    if (open) req.closure = { kind: 'cancelled' };
    this.closeRequest();
    // A cancel that came while money was moving waited for the ledger's evidence (money-path.ts): say what it was.
    this.setStatus(
      CaseStatus.Cancelled,
      this.moneyOutcome
        ? `cancelled by an operator after the money path finished: ${this.moneyOutcome}`
        : 'cancelled by an operator: nothing further happens',
    );
    recordCaseEvent(this.input.caseType, 'failed');
    this.flush();
    const message = req?.pending.slackMessage;
    if (open && message && req.render) {
      await this.acts.updateApprovalMessage({ step: `cancel.${req.pending.requestId}`, message, view: req.render('cancelled') });
    }
    // Cancelled after the money moved, before the final ticket update: the confirmation it kept still goes out.
    const kept = this.endComment;
    if (kept && this.ticket)
      await this.acts.addTicketNote({ step: kept.step, ticketId: this.ticket.id, body: kept.body, public: kept.public });
    await this.settleBackground().catch(() => undefined);
  }

  /**
   * Bad input: marks the case failed and fails the workflow with a clear, non-retryable error. A case
   * a person let go ahead at the intake review (issue 24) is not failed here: `runCase()` ends it in
   * needs-attention, so whoever said "go ahead" hears that it could not.
   */
  invalidInput(what: string): never {
    if (this.afterIntakeReview()) throw ApplicationFailure.nonRetryable(`${this.input.caseType}: ${what}`, INVALID_CASE_INPUT_ERROR_TYPE);
    this.finished = true;
    this.setStatus(CaseStatus.Failed, `invalid input: ${what}`);
    recordCaseEvent(this.input.caseType, 'failed');
    this.flush();
    throw ApplicationFailure.nonRetryable(`${this.input.caseType}: ${what}`, INVALID_CASE_INPUT_ERROR_TYPE);
  }

  /** The case asked a person about its intake notes (and was let go ahead): its review is among its writes. */
  afterIntakeReview(): boolean {
    return this.input.intake !== undefined && this.writes.some((w) => w.startsWith('intake.review.'));
  }

  /** True once the case has ended (or is ending): no decision counts any more. */
  isClosed(): boolean {
    return this.finished || TERMINAL.has(this.state.status);
  }

  /** The worker's money policy now (a local activity: its answer, with the version, is in history). */
  policy(): Promise<MoneyPolicy> {
    return this.acts.loadPolicy();
  }

  // --- visibility --------------------------------------------------------------------------

  /** The case's outside writes by how they ended, in order (for the needs-attention note and alert). */
  writesBy(outcome: WriteOutcome): string[] {
    return [...new Set(this.writes)].filter((step) => this.writeOutcomes.get(step) === outcome);
  }

  /**
   * Before an ordinary activity: the staged changes go out, except while the case is `gathering`
   * (reading and opening its ticket, about a second): that status is transitional and no audit
   * query or waiting list looks for it, so it goes out with the next change that matters (waiting
   * on someone, executing, the ending) instead of as an upsert of its own. Timers, waits and
   * endings flush whatever the status. Cases from before this change replay with their upsert
   * (patch `gathering-not-flushed`).
   */
  private flushBeforeActivity(): void {
    if (this.startingBackground) return;
    if (this.state.status === CaseStatus.Gathering && this.patched('gathering-not-flushed')) return;
    this.flush();
  }

  /** Sends the staged search-attribute changes as one upsert (see CaseVisibility.flush for when). */
  flush(): void {
    this.visibility.flush();
  }

  /** Status, waiting-on, owner and urgency to search attributes; the Temporal-destination note to current details. */
  refresh(): void {
    const req = this.current && !this.current.closure ? this.current.pending : undefined;
    // The Web UI's "current details" lead with how the case stands or ended, in words (a rejected
    // case is a green "Completed" execution; this line says what happened).
    const s = this.state;
    const headline = TERMINAL.has(s.status)
      ? `Outcome: ${caseStatusText(s.status)}${s.reason ? ` (${scrubContactDetails(s.reason)})` : ''}`
      : `Now: ${caseStatusText(s.status)}`;
    this.visibility.show(this.state, req, `${headline}\n${this.note('temporal')}`);
  }
}

/** The patch that added the final ticket update (`settleTicket` at `finish()`) and dropped the cases' own "done" notes. */
export const FINAL_TICKET_PATCH = 'ticket-final-status';

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** Error type of a case started with input it cannot work with (non-retryable). */
export const INVALID_CASE_INPUT_ERROR_TYPE = 'InvalidCaseInput';
