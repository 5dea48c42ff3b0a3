/**
 * The shared approval machinery (docs/product.md §5). One request at a time per case: its own id
 * (uuid4, generated in the workflow, so it is the same on replay), the eligible approvers, the
 * distinct approvals it needs, reminders at an interval, escalation to a second tier after a
 * deadline, and a final timeout that fails closed. Decisions arrive through the runtime's update
 * and signal handlers; this module waits for them and keeps the Slack message current.
 */
import { CancelledFailure, condition, uuid4 } from '@temporalio/workflow';
import {
  DECISION_VERB,
  DecisionAction,
  handOffs,
  waitingOn,
  type ApprovalActionView,
  type ApprovalVote,
  type DecisionSubject,
  type PendingApproval,
} from '../domain/decision';
import type { ApprovalFieldView, ApprovalRequestView, ApprovalViewState, SlackMessageRef } from '../domain/views';
import { CaseStatus, type Money, type Urgency } from '../domain/case';
import { eligibleApprovers, type CaseTimings, type MoneyPolicy } from '../domain/policy';
import { humanDuration } from '../policy/format';
import { slackDate } from '../policy/dates';
import { recordCaseEvent, recordDecisionLatency } from './case-metrics';
import type { ApprovalOutcome, OpenRequest, RequestClosure } from './approval-request';
import type { CaseRuntime, NoteOverride } from './case-runtime';

/** How a request ended, as the case sees it. */
export type ApprovalClosure = Exclude<RequestClosure, { kind: 'cancelled' }>;

/** What to ask, of whom, and how long to wait. */
export interface ApprovalSpec {
  /** What is being decided: `refund`, `address_change`, `dispute`, `triage`, `acknowledge`, `recipient`. */
  kind: string;
  /** Step prefix; the request's writes are `<step>.<n>.post`, `.update.<k>`, `.remind.<k>`, `.final`. */
  step: string;
  title: string;
  fields: ApprovalFieldView[];
  /** The buttons. */
  actions: ApprovalActionView[];
  /** The action that counts towards `required`; every other offered action closes the request at once. */
  countingAction?: DecisionAction;
  /** First-tier approvers (Slack user ids). */
  approvers: string[];
  /** Added when the request escalates. */
  secondTierApprovers: string[];
  /** Acknowledgements only (no money, no record): people besides the policy's approvers who may decide, such as the account owner. */
  alsoEligible?: string[];
  /** Distinct people whose counting action is needed (for a money request, as the policy says for `amount` now). */
  required: number;
  /** Money requests: the amount decided on; the gate derives the approvals needed from it (or from `tierAmount`) at each decision. */
  amount?: Money;
  /** Money requests: the amount plus the customer's running total within the window (the approval tier's basis). */
  tierAmount?: Money;
  /** Money requests: what a counting decision approves; its buttons carry it and the API signs it. */
  subject?: DecisionSubject;
  reminderIntervalMs: number;
  escalateAfterMs: number;
  timeoutMs: number;
  channel: string;
  urgency: Urgency;
  /** Mentioned in the message (e.g. the account owner). */
  mentions?: string[];
  /** Post as a finance alert with buttons (payment blocker) rather than an approval request. */
  asAlert?: boolean;
  /** The next step once the counting action carried (shown in the decided message); default: carry out the decision. */
  nextStepAfterApproval?: string;
}

/**
 * The parts of an approval that come from the finance policy (who decides, where: the worker's
 * policy now) and the case's timings (how long it may take). Who may decide is checked again by the
 * gate at every decision, against the policy as it is then.
 */
export function financeReview(
  policy: MoneyPolicy,
  timings: CaseTimings,
): Pick<ApprovalSpec, 'approvers' | 'secondTierApprovers' | 'reminderIntervalMs' | 'escalateAfterMs' | 'timeoutMs' | 'channel'> {
  return {
    approvers: policy.approvers,
    secondTierApprovers: policy.secondTierApprovers,
    reminderIntervalMs: timings.reminderIntervalMs,
    escalateAfterMs: timings.escalateAfterMs,
    timeoutMs: timings.approvalTimeoutMs,
    channel: policy.financeChannel,
  };
}

/**
 * Posts the request and waits until it is decided or expires. The caller sets the case's status
 * from the result; this function sets AwaitingApproval / Escalated while it waits.
 */
export async function requestApproval(rt: CaseRuntime, spec: ApprovalSpec): Promise<ApprovalClosure> {
  const step = `${spec.step}.${rt.nextRequestNumber()}`;
  const startedMs = Date.now();
  const pending: PendingApproval = {
    requestId: uuid4(),
    kind: spec.kind,
    eligibleApprovers: unique(spec.approvers),
    required: Math.max(1, spec.required),
    votes: [],
    escalated: false,
    requestedAt: new Date(startedMs).toISOString(),
    expiresAt: new Date(startedMs + spec.timeoutMs).toISOString(),
    ...(spec.amount ? { amount: spec.amount } : {}),
    ...(spec.amount && spec.tierAmount ? { tierAmount: spec.tierAmount } : {}),
    ...(spec.subject ? { subject: spec.subject } : {}),
    actions: spec.subject
      ? spec.actions.map((a) => (a.action === (spec.countingAction ?? DecisionAction.Approve) ? { ...a, subject: spec.subject } : a))
      : spec.actions,
  };
  const req: OpenRequest = {
    pending,
    allowedActions: spec.actions.map((a) => a.action),
    countingAction: spec.countingAction ?? DecisionAction.Approve,
    dirty: false,
    ...(spec.amount ? {} : { fixedRequired: pending.required }),
    ...(spec.alsoEligible?.length ? { alsoEligible: spec.alsoEligible } : {}),
  };
  rt.openRequest(req);
  rt.setStatus(CaseStatus.AwaitingApproval);

  const view = (state: ApprovalViewState, outcome?: ApprovalOutcome): ApprovalRequestView => buildView(rt, spec, req, state, outcome);
  req.render = view;
  req.step = step;
  const { postApprovalRequest, postFinanceAlert, updateApprovalMessage, postApprovalReminder } = rt.acts;
  const open = view('open');
  const message: SlackMessageRef = spec.asAlert
    ? await postFinanceAlert({
        step: `${step}.post`,
        channel: spec.channel,
        view: {
          workflowId: open.workflowId,
          requestId: open.requestId,
          title: open.title,
          urgency: open.urgency,
          noteLines: open.noteLines,
          fields: open.fields,
          mentions: open.mentions,
          links: open.links,
          actions: open.actions,
        },
      })
    : await postApprovalRequest({ step: `${step}.post`, channel: spec.channel, view: open });
  pending.slackMessage = message;
  rt.addRecord({ system: 'slack', object: 'message', id: `${message.channel}/${message.ts}` });

  let updates = 0;
  let reminders = 0;
  let announced = 0;
  let lastReminderMs = startedMs;
  const expireAt = startedMs + spec.timeoutMs;
  const escalateAt = startedMs + spec.escalateAfterMs;
  while (!req.closure) {
    const remindAt = spec.reminderIntervalMs > 0 ? lastReminderMs + spec.reminderIntervalMs : Infinity;
    const wakeAt = Math.min(expireAt, pending.escalated ? Infinity : escalateAt, remindAt);
    rt.flush();
    await condition(() => req.closure !== undefined || req.dirty, Math.max(1, wakeAt - Date.now()));
    if (req.closure) break;
    if (req.dirty) {
      // A vote counted but more are needed, or the request was handed off: show it, so nobody wonders whether the click worked.
      req.dirty = false;
      rt.refresh();
      await updateApprovalMessage({ step: `${step}.update.${++updates}`, message, view: view('open') });
      // The person a request was handed to hears of it at once, in the thread, as they would from a reminder.
      for (const h of handOffs(pending).slice(announced)) {
        announced++;
        await postApprovalReminder({
          step: `${step}.handoff.${announced}`,
          message,
          text: `Handed off by <@${h.from}>: this request now waits on you.`,
          mentions: [h.to],
        });
      }
      continue;
    }
    const now = Date.now();
    if (now >= expireAt) {
      req.closure = { kind: 'expired' };
      break;
    }
    if (!pending.escalated && now >= escalateAt) {
      pending.escalated = true;
      pending.eligibleApprovers = unique([
        ...pending.eligibleApprovers,
        ...eligibleApprovers({ approvers: [], secondTierApprovers: spec.secondTierApprovers }, true),
      ]);
      rt.setStatus(CaseStatus.Escalated);
      lastReminderMs = now;
      await updateApprovalMessage({ step: `${step}.update.${++updates}`, message, view: view('open') });
      await postApprovalReminder({
        step: `${step}.remind.${++reminders}`,
        message,
        text: `Escalated: no decision after ${humanDuration(spec.escalateAfterMs)}. Second-tier approvers may now decide.`,
        mentions: unique([...spec.secondTierApprovers, ...waitingOn(pending)]),
      });
      continue;
    }
    if (now >= remindAt) {
      lastReminderMs = now;
      await postApprovalReminder({
        step: `${step}.remind.${++reminders}`,
        message,
        text: `Reminder: this request is still waiting (${approvalsOf(req)} of ${pending.required}); it expires ${slackDate(pending.expiresAt, rt.input.policy.businessTimeZone)}.`,
        mentions: waitingOn(pending),
      });
    }
  }

  const closure = req.closure;
  // Only cancel() closes a request this way, and the cancellation reaches this code as a CancelledFailure first.
  if (closure.kind === 'cancelled') throw new CancelledFailure('the case was cancelled');
  rt.closeRequest();
  if (closure.kind !== 'expired') {
    recordCaseEvent(rt.input.caseType, 'decided');
    recordDecisionLatency(rt.input.caseType, spec.kind, Date.now() - startedMs);
  }
  const finalState: ApprovalViewState =
    closure.kind === 'approved'
      ? 'approved'
      : closure.kind === 'expired'
        ? 'expired'
        : closure.action === DecisionAction.Reject
          ? 'rejected'
          : 'decided';
  // Buttons go away, so nobody can click the closed request again. Not awaited: the decision's
  // effect (the refund, the change) need not wait a Slack round trip; clicks meanwhile are refused
  // as stale by the runtime, and finish() waits for this update.
  rt.inBackground(() => (req.finalUpdate = updateApprovalMessage({ step: `${step}.final`, message, view: view(finalState) })));
  return closure;
}

/**
 * The last word on the case's latest request, once its decision was carried out: the message says
 * what happened (the record written, linked) and the note shows the case as it ends. Waits for the
 * update that took the buttons off, so Slack never ends on the older view. No request, no message.
 * Patched (`approval-outcome-message`, docs/workflows.md): it adds a command to the case.
 */
export async function showOutcome(rt: CaseRuntime, outcome: ApprovalOutcome): Promise<void> {
  const req = rt.current;
  const message = req?.pending.slackMessage;
  if (!req?.closure || req.closure.kind !== 'approved' || !message || !req.render || !req.step) return;
  // One more activity than cases started before this change recorded: they replay without it.
  if (!rt.patched('approval-outcome-message')) return;
  await req.finalUpdate;
  await rt.acts.updateApprovalMessage({ step: `${req.step}.done`, message, view: req.render('approved', outcome) });
}

/** A link in Slack's mrkdwn, or the bare label without a URL. */
export function recordLink(label: string, url: string | undefined): string {
  return url ? `<${url}|${label.replace(/[<>|]/g, '')}>` : label;
}

/** The case as it will read once this decision takes effect: the decided message shows that, not the wait. */
function decidedNote(spec: ApprovalSpec, req: OpenRequest, state: ApprovalViewState): NoteOverride {
  switch (state) {
    case 'open':
      return {};
    case 'approved':
      return { status: CaseStatus.Executing, nextStep: spec.nextStepAfterApproval ?? 'Carry out the decision' };
    case 'rejected':
      return { status: CaseStatus.Rejected, nextStep: 'None: rejected, nothing was done' };
    case 'expired':
      return { status: CaseStatus.Expired, nextStep: 'None: no decision in time, nothing was done' };
    case 'cancelled':
      return { status: CaseStatus.Cancelled, nextStep: 'None: the case was cancelled' };
    default: {
      const last = req.pending.votes[req.pending.votes.length - 1];
      const label = (last && choiceLabel(spec, last)) ?? (last ? DECISION_VERB[last.action] : 'the decision');
      return { status: CaseStatus.Executing, nextStep: `Carry out the decision (${label})` };
    }
  }
}

function buildView(
  rt: CaseRuntime,
  spec: ApprovalSpec,
  req: OpenRequest,
  state: ApprovalViewState,
  outcome?: ApprovalOutcome,
): ApprovalRequestView {
  const p = req.pending;
  const override = outcome ? { status: outcome.status, nextStep: outcome.nextStep } : decidedNote(spec, req, state);
  // The votes section lists every decision with who and when; a fact repeating one would say it twice.
  const repeats = [...new Set(p.votes.map((v) => `- ${DECISION_VERB[v.action]} by `))];
  const noteLines = rt
    .note('slack', override)
    .split('\n')
    .filter((line) => !repeats.some((r) => line.startsWith(r)));
  return {
    workflowId: rt.workflowId,
    requestId: p.requestId,
    caseType: rt.input.caseType,
    title: spec.title,
    urgency: spec.urgency,
    noteLines,
    fields: spec.fields,
    actions: state === 'open' ? (p.actions ?? spec.actions) : [],
    eligibleApprovers: p.eligibleApprovers,
    required: p.required,
    votes: p.votes.map((v) => ({
      actorId: v.actor.id,
      ...(v.actor.name ? { actorName: v.actor.name } : {}),
      action: v.action,
      at: v.at,
      ...(v.reason ? { reason: v.reason } : {}),
      ...(v.handTo ? { handTo: v.handTo } : {}),
      ...(v.caseType ? { choice: choiceLabel(spec, v) ?? v.caseType } : {}),
    })),
    state,
    statusLine: outcome ? outcome.text : statusLine(spec, req, state),
    mentions: unique([
      ...(spec.mentions ?? []),
      ...(p.escalated && state === 'open' ? spec.secondTierApprovers : []),
      ...(state === 'open'
        ? handOffs(p)
            .map((h) => h.to)
            .filter((id) => waitingOn(p).includes(id))
        : []),
    ]),
    links: rt.links(),
  };
}

function statusLine(spec: ApprovalSpec, req: OpenRequest, state: ApprovalViewState): string {
  const p = req.pending;
  const counted = p.votes.filter((v) => v.action === req.countingAction).map((v) => v.actor.id);
  switch (state) {
    case 'open': {
      const tier = p.escalated ? ' (escalated to second tier)' : '';
      // Once handed off, say from whom: the people it was handed to are who it waits on now.
      const from =
        handOffs(p).length > 0
          ? ` from ${waitingOn(p)
              .map((id) => `<@${id}>`)
              .join(' ')}`
          : '';
      if (p.required > 1)
        return `Waiting for ${p.required - counted.length} more approval(s)${from}: ${counted.length} of ${p.required}${tier}`;
      return `Waiting for a decision${from}${tier}`;
    }
    case 'approved': {
      // Who and when are in the votes section above; this line says where the case goes next.
      const verb = DECISION_VERB[req.countingAction];
      return `${verb}${p.required > 1 ? ` (${counted.length} of ${p.required})` : ''}: ${spec.nextStepAfterApproval ?? 'carrying out the decision'}`;
    }
    case 'rejected':
      return 'Rejected: nothing was done';
    case 'expired':
      return `Expired after ${humanDuration(spec.timeoutMs)} without a decision: nothing was done (failed closed)`;
    case 'cancelled':
      return 'Cancelled: the case was stopped before a decision; nothing was done';
    default: {
      const last = p.votes[p.votes.length - 1];
      const closing = (last && choiceLabel(spec, last)) ?? last?.action ?? 'Decided';
      return last ? `Decided: ${closing}` : 'Decided';
    }
  }
}

/**
 * The label of the button a vote pressed. Triage offers one action (`choose_case`) per case type,
 * each its own button: the vote's case type says which one, so the first button's label is never
 * taken for another choice.
 */
export function choiceLabel(spec: Pick<ApprovalSpec, 'actions'>, vote: Pick<ApprovalVote, 'action' | 'caseType'>): string | undefined {
  return spec.actions.find((a) => a.action === vote.action && (a.caseType ?? undefined) === (vote.caseType ?? undefined))?.label;
}

function approvalsOf(req: OpenRequest): number {
  return req.pending.votes.filter((v) => v.action === req.countingAction).length;
}

function unique(ids: string[]): string[] {
  return [...new Set(ids.filter(Boolean))];
}

/** The two-button approval most money and record changes use. */
export const APPROVE_REJECT: ApprovalActionView[] = [
  { action: DecisionAction.Approve, label: 'Approve', style: 'primary' },
  { action: DecisionAction.Reject, label: 'Reject', style: 'danger' },
];
