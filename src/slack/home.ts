/**
 * The Slack App Home tab, "Waiting on you": for one person, the open requests that wait on them
 * (`waitingOn`, which covers escalations and hand-offs), oldest request first, each with what it
 * decides, amount, account, age, its buttons and a link to the case. Pure: the HomeTab service
 * (home-tab.ts) gathers the cases and publishes what this returns with views.publish.
 *
 * Shows no more than the channel message already does: ids, amounts, account ids and the request
 * sentence of the billing note (no contact details).
 */
import type { Money } from '../domain/case';
import { DecisionAction, handOffs, waitingOn, type PendingApproval } from '../domain/decision';
import { formatMoney } from '../domain/money';
import { approvalKindText } from '../policy/wording';
import { formatAge } from '../cases/waiting';
import { decisionButtons, mention, mrkdwn, plain, slackTime, type Block } from '../connectors/slack-blocks';
import { slackLink, slackText } from '../connectors/slack-text';

/** Slack's limit for a Home tab view. */
export const HOME_MAX_BLOCKS = 100;

/** The view's callback_id: interactions from the Home tab carry it in `view`. */
export const HOME_CALLBACK_ID = 'billing_home';

/** One case with an open request, as the HomeTab service found it (visibility + statusQuery). */
export interface HomeCase {
  workflowId: string;
  caseType?: string;
  accountId?: string;
  /** The case's amount (search attributes); the request's own `amount` wins when it has one. */
  amount?: Money;
  /** What the caller asked for, one sentence (the handoff's `request`). */
  request?: string;
  /** The open request as the case reports it now. */
  pending: PendingApproval;
  /** The case in the Temporal Web UI. */
  caseUrl?: string;
}

export interface HomeViewInput {
  /** Whose Home tab this is (Slack user id). */
  userId: string;
  cases: HomeCase[];
  now: Date;
  /** A line shown on top, e.g. what became of the decision just taken from this tab. */
  notice?: string;
  /** Cases visibility lists for the user that did not answer their status query in time. */
  unreadable?: number;
}

export interface HomeView {
  type: 'home';
  callback_id: string;
  blocks: Block[];
}

/** The requests of `cases` that wait on `userId`, oldest request first (ties by workflow id, so the order is stable). */
export function requestsWaitingOn(userId: string, cases: HomeCase[]): HomeCase[] {
  return cases
    .filter((c) => waitingOn(c.pending).includes(userId))
    .sort((a, b) => Date.parse(a.pending.requestedAt) - Date.parse(b.pending.requestedAt) || a.workflowId.localeCompare(b.workflowId));
}

/** The blocks of one request: what and how much, who handed it over, the buttons, a divider. */
function requestBlocks(userId: string, c: HomeCase, now: Date): Block[] {
  const p = c.pending;
  const amount = p.amount ?? c.amount;
  const heading = `*${approvalKindText(p.kind)}*${p.escalated ? '  ·  :arrow_up: Escalated' : ''}`;
  const fields = [
    mrkdwn(`*Amount*\n${amount ? formatMoney(amount.amountMinor, amount.currency) : '—'}`),
    mrkdwn(`*Account*\n${c.accountId ? slackText(c.accountId) : '—'}`),
    mrkdwn(`*Waiting*\n${formatAge(Math.max(0, now.getTime() - Date.parse(p.requestedAt)))}`),
  ];
  if (p.required > 1) {
    const approvals = p.votes.filter((v) => v.action === DecisionAction.Approve).length;
    fields.push(mrkdwn(`*Approvals*\n${approvals} of ${p.required}`));
  }
  const blocks: Block[] = [
    {
      type: 'section',
      block_id: `home_request_${p.requestId}`,
      text: mrkdwn(c.request ? `${heading}\n${slackText(c.request)}` : heading),
      fields,
    },
  ];
  const context: string[] = [];
  // The latest hand-off to this person: who passed it on to them.
  const handedBy = handOffs(p)
    .filter((h) => h.to === userId)
    .at(-1);
  if (handedBy) context.push(`Handed to you by ${mention(handedBy.from)}`);
  context.push(c.caseUrl ? slackLink(c.caseUrl, 'Open the case') : `Case ${slackText(c.workflowId)}`);
  blocks.push({ type: 'context', elements: [mrkdwn(context.join('  ·  '))] });
  if (p.actions && p.actions.length > 0) {
    // Block ids are unique within a view; the button values carry everything the route needs.
    blocks.push({
      type: 'actions',
      block_id: `home_decision_${p.requestId}`,
      elements: decisionButtons(c.workflowId, p.requestId, p.actions),
    });
  } else {
    // A case started before requests listed their buttons: decide on its channel message.
    blocks.push({ type: 'context', elements: [mrkdwn('Decide on the request in the finance channel.')] });
  }
  blocks.push({ type: 'divider' });
  return blocks;
}

/** The Home tab view for `userId`. At most HOME_MAX_BLOCKS blocks; what does not fit is counted in an "and N more" line. */
export function homeView(input: HomeViewInput): HomeView {
  const mine = requestsWaitingOn(input.userId, input.cases);
  const top: Block[] = [{ type: 'header', text: plain('Waiting on you') }];
  if (input.notice) top.push({ type: 'section', block_id: 'home_notice', text: mrkdwn(input.notice) });
  const tail: Block[] = [];
  if (input.unreadable) {
    tail.push({
      type: 'context',
      block_id: 'home_unreadable',
      elements: [
        mrkdwn(
          `${input.unreadable} more ${input.unreadable === 1 ? 'case' : 'cases'} waiting on you could not be read just now; open this tab again in a moment.`,
        ),
      ],
    });
  }
  if (mine.length === 0) {
    return {
      type: 'home',
      callback_id: HOME_CALLBACK_ID,
      blocks: [...top, { type: 'section', block_id: 'home_empty', text: mrkdwn('Nothing is waiting on you.') }, ...tail],
    };
  }
  top.push({
    type: 'context',
    block_id: 'home_summary',
    elements: [
      mrkdwn(`${mine.length} ${mine.length === 1 ? 'request' : 'requests'}, oldest first · updated ${slackTime(input.now.toISOString())}`),
    ],
  });
  const body: Block[] = [];
  let shown = 0;
  // Room for the "and N more" line whenever something might not fit.
  const room = HOME_MAX_BLOCKS - top.length - tail.length - 1;
  for (const c of mine) {
    const blocks = requestBlocks(input.userId, c, input.now);
    if (body.length + blocks.length > room) break;
    body.push(...blocks);
    shown++;
  }
  if (shown < mine.length) {
    const more = mine.length - shown;
    body.push({
      type: 'context',
      block_id: 'home_more',
      elements: [
        mrkdwn(`…and ${more} more ${more === 1 ? 'request' : 'requests'} (the newest). Decide on the ones above to see them here.`),
      ],
    });
  }
  return { type: 'home', callback_id: HOME_CALLBACK_ID, blocks: [...top, ...body, ...tail] };
}
