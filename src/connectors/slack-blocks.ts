/**
 * Block Kit builders for finance approvals and alerts. Pure functions: the activities post what
 * these return. Every message carries `text` (the notification and accessibility fallback).
 * Text shown here has already been suppressed at intake (no card numbers, bank or tax details).
 */
import type { CaseType, Urgency } from '../domain/case';
import { type ApprovalActionView, DECISION_VERB, DecisionAction } from '../domain/decision';
import type { ApprovalFieldView, ApprovalRequestView, ApprovalVoteView, FinanceAlertView } from '../domain/views';
import { decisionActionId, encodeButtonValue, HAND_OFF_MODAL, REASON_MODAL, subjectButtonValue } from './slack-buttons';
import { fitMrkdwn, fitPlain, isSlackUserId, SLACK_LIMITS, slackFallback, slackLink, slackQuote, slackText } from './slack-text';

/** A Block Kit block; the shapes are Slack's, kept loose on purpose (Slack validates them). */
export type Block = Record<string, unknown> & { type: string };

/** A plain_text object (Slack caps most of them at 150 characters; plain_text shows markup as typed). */
export const plain = (text: string, max: number = SLACK_LIMITS.headerText) => ({
  type: 'plain_text',
  text: fitPlain(text, max),
  emoji: true,
});
/**
 * A mrkdwn text object (3000 characters at most in a section, 2000 in a field). Its text is ours:
 * every value from a call or a person in it went through slackText (src/connectors/slack-text.ts) first.
 */
export const mrkdwn = (text: string, max: number = SLACK_LIMITS.sectionText) => ({ type: 'mrkdwn', text: fitMrkdwn(text, max) });

/** Mentions render as @name in Slack; ids keep names out of our own data. Anything but a user id shows as text. */
export const mention = (userId: string) => (isSlackUserId(userId) ? `<@${userId}>` : slackText(userId));

/** Slack renders this date token in the reader's time zone; the fallback shows UTC. */
export function slackTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const hhmm = d.toISOString().slice(11, 16);
  return `<!date^${Math.floor(d.getTime() / 1000)}^{time}|${hhmm} UTC>`;
}

/** The action id of a button, unique within the message as Slack requires (one per triage choice). */
export function actionId(action: DecisionAction, caseType?: CaseType): string {
  return decisionActionId(action, caseType);
}

/** Block id of the buttons; the route does not depend on it (the value carries everything). */
export const ACTIONS_BLOCK_ID = 'billing_decision';

const URGENCY_MARK: Record<Urgency, string> = { low: '', normal: '', high: ':warning: ', urgent: ':rotating_light: ' };

/** A labelled fact: label and values come from the case (a caller's reason, an invoice number), so all are escaped. */
function fieldText(f: ApprovalFieldView): string {
  const label = `*${slackText(f.label)}*`;
  return f.previous !== undefined
    ? `${label}\nWas: ${slackText(f.previous)}\nNew: ${slackText(f.value)}`
    : `${label}\n${slackText(f.value)}`;
}

function bodyBlocks(v: {
  title: string;
  urgency: Urgency;
  noteLines: string[];
  fields: ApprovalFieldView[];
  mentions: string[];
  links: { label: string; url: string }[];
}): Block[] {
  const blocks: Block[] = [{ type: 'header', text: plain(`${URGENCY_MARK[v.urgency]}${v.title}`) }];
  // The billing note is plain words built from the call: every line escaped, none can pose as ours.
  if (v.noteLines.length > 0) blocks.push({ type: 'section', text: mrkdwn(v.noteLines.map((l) => slackText(l)).join('\n')) });
  // Slack allows at most 10 fields per section (and 50 blocks per message: 12 sections of fields at most).
  for (let i = 0; i < Math.min(v.fields.length, 120); i += 10)
    blocks.push({ type: 'section', fields: v.fields.slice(i, i + 10).map((f) => mrkdwn(fieldText(f), SLACK_LIMITS.fieldText)) });
  const context: string[] = [];
  if (v.mentions.length > 0) context.push(`For ${v.mentions.map(mention).join(' ')}`);
  if (v.links.length > 0) context.push(v.links.map((l) => slackLink(l.url, l.label)).join(' · '));
  if (context.length > 0) blocks.push({ type: 'context', elements: context.map((t) => mrkdwn(t)) });
  return blocks;
}

/** Buttons; each value carries workflow id, request id and action (and the case type for triage). */
export function buttonElements(workflowId: string, requestId: string, actions: ApprovalActionView[]): Block[] {
  return actions.slice(0, 25).map((a) => ({
    type: 'button',
    text: plain(a.label, SLACK_LIMITS.buttonText),
    action_id: actionId(a.action, a.caseType),
    value: encodeButtonValue({
      w: workflowId,
      r: requestId,
      a: a.action,
      ...(a.caseType ? { c: a.caseType } : {}),
      ...(a.subject ? { s: subjectButtonValue(a.subject) } : {}),
    }),
    ...(a.style ? { style: a.style } : {}),
  }));
}

/** "Hand off…": opens the hand-off modal (pick another approver). Offered on every open approval request. */
export function handOffButton(workflowId: string, requestId: string): Block {
  return {
    type: 'button',
    text: plain('Hand off…'),
    action_id: actionId(DecisionAction.HandOff),
    value: encodeButtonValue({ w: workflowId, r: requestId, a: DecisionAction.HandOff }),
  };
}

/** The buttons of an open request wherever it is shown (the channel message, the Home tab): its decisions, then "Hand off…". */
export function decisionButtons(workflowId: string, requestId: string, actions: ApprovalActionView[]): Block[] {
  return [...buttonElements(workflowId, requestId, actions.slice(0, 24)), handOffButton(workflowId, requestId)];
}

/** "Approved by @Dana at 14:02, 1 of 2" (the mention renders as the user's name). */
export function decisionLine(vote: ApprovalVoteView, position?: { approvals: number; required: number }): string {
  const choice = vote.choice ? ` (${vote.choice.replace(/[<>&*_~`]/g, '')})` : '';
  let line = `${DECISION_VERB[vote.action]}${choice} by ${mention(vote.actorId)} at ${slackTime(vote.at)}`;
  if (vote.action === DecisionAction.HandOff && vote.handTo) line += ` to ${mention(vote.handTo)}`;
  if (vote.action === DecisionAction.Approve && position && position.required > 1)
    line += `, ${position.approvals} of ${position.required}`;
  // Typed in a modal: escaped and quoted line by line.
  if (vote.reason) line += `\n${slackQuote(vote.reason)}`;
  return line;
}

/**
 * An approval request as Block Kit: buttons only while `state` is `open`; every vote as a line
 * ("Approved by @Dana at 14:02, 1 of 2"); the status line last. Once decided or expired no button
 * is left, so nobody can click twice.
 */
export function approvalBlocks(view: ApprovalRequestView): Block[] {
  const blocks = bodyBlocks(view);
  if (view.state === 'open' && view.actions.length > 0) {
    blocks.push({ type: 'actions', block_id: ACTIONS_BLOCK_ID, elements: decisionButtons(view.workflowId, view.requestId, view.actions) });
  }
  let approvals = 0;
  const lines = view.votes.map((vote) => {
    if (vote.action === DecisionAction.Approve) approvals++;
    return decisionLine(vote, { approvals, required: view.required });
  });
  if (lines.length > 0) blocks.push({ type: 'section', block_id: 'billing_votes', text: mrkdwn(lines.join('\n')) });
  if (view.statusLine) blocks.push({ type: 'context', block_id: 'billing_status', elements: [mrkdwn(view.statusLine)] });
  return blocks;
}

/** A finance alert; with buttons (e.g. "I'm on it") when the view has actions and a request id. */
export function financeAlertBlocks(view: FinanceAlertView): Block[] {
  const blocks = bodyBlocks(view);
  if (view.actions && view.actions.length > 0 && view.requestId) {
    blocks.push({ type: 'actions', block_id: ACTIONS_BLOCK_ID, elements: buttonElements(view.workflowId, view.requestId, view.actions) });
  }
  return blocks;
}

/** Notification / accessibility text: plain words, no Block Kit tokens; escaped (the title may carry a caller's words). */
export function fallbackText(title: string, statusLine?: string): string {
  const status = statusLine
    ?.replace(/<@([A-Z0-9]+)>/g, '@$1')
    .replace(/<!date\^\d+\^[^|]*\|([^>]*)>/g, '$1')
    .replace(/<[^|>]+\|([^>]*)>/g, '$1');
  return slackFallback(status ? `${title}: ${status}` : title);
}

/** The reason modal opened on Reject / Contest. */
export function reasonModal(opts: { action: DecisionAction; privateMetadata: string }): Record<string, unknown> {
  const title = opts.action === DecisionAction.Contest ? 'Contest dispute' : 'Reject request';
  return {
    type: 'modal',
    callback_id: REASON_MODAL.callbackId,
    private_metadata: opts.privateMetadata,
    title: plain(title),
    submit: plain(opts.action === DecisionAction.Contest ? 'Contest' : 'Reject'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: REASON_MODAL.blockId,
        label: plain('Reason (kept in the case history)'),
        element: { type: 'plain_text_input', action_id: REASON_MODAL.actionId, multiline: true, max_length: 1000 },
      },
    ],
  };
}

/** The hand-off modal opened by "Hand off…": pick the approver, optionally say why. The gate decides whether that person may take it. */
export function handOffModal(opts: { privateMetadata: string }): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: HAND_OFF_MODAL.callbackId,
    private_metadata: opts.privateMetadata,
    title: plain('Hand off request'),
    submit: plain('Hand off'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: HAND_OFF_MODAL.userBlockId,
        label: plain('Hand to (another approver of this request)'),
        element: { type: 'users_select', action_id: HAND_OFF_MODAL.userActionId, placeholder: plain('Choose an approver') },
      },
      {
        type: 'input',
        block_id: HAND_OFF_MODAL.noteBlockId,
        optional: true,
        label: plain('Note (kept in the case history)'),
        element: { type: 'plain_text_input', action_id: HAND_OFF_MODAL.noteActionId, multiline: true, max_length: 500 },
      },
    ],
  };
}
