/**
 * The Home tab's "Waiting on you" view (pure builder): whose requests, in which order, and what
 * each shows.
 */
import assert from 'node:assert/strict';
import type { ApprovalVote, PendingApproval } from '../../src/domain/decision';
import { HOME_MAX_BLOCKS, homeView, type HomeCase } from '../../src/slack/home';
import { decodeButtonValue } from '../../src/connectors/slack-buttons';

const DANA = 'U0FIN0001';
const SAM = 'U0FIN0002';
const CASEY = 'U0CFO0001';
const ALEX = 'U0AGT0001';
const NOW = new Date('2026-11-26T15:00:00Z');

type AnyBlock = {
  type: string;
  block_id?: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: { text?: string | { text: string }; value?: string; action_id?: string }[];
};

function vote(actor: string, action: ApprovalVote['action'], extra: Partial<ApprovalVote> = {}): ApprovalVote {
  return { actor: { id: actor }, action, at: '2026-11-26T14:00:00Z', source: 'slack', ...extra };
}

function pending(over: Partial<PendingApproval> = {}): PendingApproval {
  return {
    requestId: `req-${Math.random().toString(36).slice(2, 8)}`,
    kind: 'refund',
    eligibleApprovers: [DANA, SAM],
    required: 1,
    votes: [],
    escalated: false,
    requestedAt: '2026-11-26T12:00:00Z',
    expiresAt: '2026-11-29T12:00:00Z',
    amount: { amountMinor: 45000, currency: 'USD' },
    actions: [
      { action: 'approve', label: 'Approve', style: 'primary' },
      { action: 'reject', label: 'Reject', style: 'danger' },
    ],
    ...over,
  };
}

function homeCase(id: string, over: Partial<PendingApproval> = {}, extra: Partial<HomeCase> = {}): HomeCase {
  return {
    workflowId: `case-refund_request-${id}`,
    caseType: 'refund_request',
    accountId: 'ACME-001',
    request: `Refund of USD 450.00 for invoice INV-1001 (account ACME-001), reason: Duplicate charge.`,
    pending: pending(over),
    caseUrl: `http://localhost:8233/namespaces/default/workflows/case-refund_request-${id}`,
    ...extra,
  };
}

const sections = (blocks: AnyBlock[]) => blocks.filter((b) => b.block_id?.startsWith('home_request_'));
const text = (blocks: AnyBlock[]) => JSON.stringify(blocks);
const caseOrder = (blocks: AnyBlock[]) =>
  blocks
    .filter((b) => b.type === 'actions')
    .map((b) => decodeButtonValue(b.elements?.[0]?.value)?.w)
    .filter(Boolean);

describe('Slack Home tab: "Waiting on you"', () => {
  it('lists the requests waiting on the user, oldest request first, and nothing of anyone else', () => {
    const cases = [
      homeCase('newer', { requestedAt: '2026-11-26T14:30:00Z' }),
      homeCase('oldest', { requestedAt: '2026-11-26T09:00:00Z' }),
      homeCase('only-sam', { requestedAt: '2026-11-26T08:00:00Z', eligibleApprovers: [SAM] }),
      homeCase('dana-answered', { requestedAt: '2026-11-26T07:00:00Z', required: 2, votes: [vote(DANA, 'approve')] }),
    ];
    const view = homeView({ userId: DANA, cases, now: NOW });
    assert.equal(view.type, 'home');
    const blocks = view.blocks as AnyBlock[];
    assert.equal(blocks[0].type, 'header');
    assert.equal(blocks[0].text?.text, 'Waiting on you');
    assert.deepEqual(caseOrder(blocks), ['case-refund_request-oldest', 'case-refund_request-newer']);
    assert.match(text(blocks), /2 requests, oldest first/);
  });

  it('shows what is decided in words, the amount, the account, the age and a link to the case', () => {
    const c = homeCase('one', { requestedAt: '2026-11-26T11:55:00Z' });
    const blocks = homeView({ userId: DANA, cases: [c], now: NOW }).blocks as AnyBlock[];
    const [section] = sections(blocks);
    assert.match(section.text?.text ?? '', /^\*Refund approval\*\nRefund of USD 450\.00 for invoice INV-1001/);
    assert.deepEqual(
      section.fields?.map((f) => f.text),
      ['*Amount*\nUSD 450.00', '*Account*\nACME-001', '*Waiting*\n3h 05m'],
    );
    assert.match(text(blocks), /<http:\/\/localhost:8233\/namespaces\/default\/workflows\/case-refund_request-one\|Open the case>/);
  });

  it('offers the request’s own buttons, then Hand off, with values the interactions route decodes', () => {
    const c = homeCase('one');
    const blocks = homeView({ userId: DANA, cases: [c], now: NOW }).blocks as AnyBlock[];
    const actions = blocks.find((b) => b.type === 'actions');
    assert.equal(actions?.block_id, `home_decision_${c.pending.requestId}`);
    assert.deepEqual(
      actions?.elements?.map((e) => decodeButtonValue(e.value)),
      [
        { w: c.workflowId, r: c.pending.requestId, a: 'approve' },
        { w: c.workflowId, r: c.pending.requestId, a: 'reject' },
        { w: c.workflowId, r: c.pending.requestId, a: 'hand_off' },
      ],
    );
  });

  it('includes escalated requests for the second tier, marked as escalated', () => {
    const escalated = homeCase('escalated', { escalated: true, eligibleApprovers: [DANA, SAM, CASEY] });
    const firstTier = homeCase('first-tier');
    const blocks = homeView({ userId: CASEY, cases: [escalated, firstTier], now: NOW }).blocks as AnyBlock[];
    assert.deepEqual(caseOrder(blocks), ['case-refund_request-escalated']);
    assert.match(sections(blocks)[0].text?.text ?? '', /Escalated/);
  });

  it('says who handed a request to the user, and leaves it off the tab of the one who handed it over', () => {
    const handed = homeCase('handed', { votes: [vote(DANA, 'hand_off', { handTo: SAM })] });
    const sams = homeView({ userId: SAM, cases: [handed], now: NOW }).blocks as AnyBlock[];
    assert.match(text(sams), /Handed to you by <@U0FIN0001>/);
    const danas = homeView({ userId: DANA, cases: [handed], now: NOW }).blocks as AnyBlock[];
    assert.equal(sections(danas).length, 0);
    assert.match(text(danas), /Nothing is waiting on you\./);
  });

  it('writes each amount in its currency’s format (JPY without decimals, USD with two)', () => {
    const yen = homeCase('yen', { amount: { amountMinor: 120000, currency: 'JPY' }, requestedAt: '2026-11-26T10:00:00Z' });
    const usd = homeCase('usd', { amount: { amountMinor: 1234567, currency: 'USD' }, requestedAt: '2026-11-26T11:00:00Z' });
    const blocks = homeView({ userId: DANA, cases: [usd, yen], now: NOW }).blocks as AnyBlock[];
    assert.deepEqual(
      sections(blocks).map((s) => s.fields?.[0].text),
      ['*Amount*\nJPY 120,000', '*Amount*\nUSD 12,345.67'],
    );
    // A request without an amount of its own shows the case's.
    const noAmount = homeCase('case-amount', { amount: undefined }, { amount: { amountMinor: 5000, currency: 'EUR' } });
    assert.equal(
      sections(homeView({ userId: DANA, cases: [noAmount], now: NOW }).blocks as AnyBlock[])[0].fields?.[0].text,
      '*Amount*\nEUR 50.00',
    );
  });

  it('says "Nothing is waiting on you." to someone nothing waits on', () => {
    const view = homeView({ userId: ALEX, cases: [homeCase('a'), homeCase('b')], now: NOW });
    assert.deepEqual(
      (view.blocks as AnyBlock[]).map((b) => b.type),
      ['header', 'section'],
    );
    assert.equal((view.blocks[1] as AnyBlock).text?.text, 'Nothing is waiting on you.');
  });

  it('stays within Slack’s 100 blocks, shows the oldest and counts the rest in an "and N more" line', () => {
    const cases = Array.from({ length: 40 }, (_, i) =>
      homeCase(`n${String(i).padStart(2, '0')}`, { requestedAt: new Date(Date.parse('2026-11-26T00:00:00Z') + i * 60_000).toISOString() }),
    );
    const view = homeView({ userId: DANA, cases: [...cases].reverse(), now: NOW, notice: 'Recorded: Approved by Dana', unreadable: 2 });
    const blocks = view.blocks as AnyBlock[];
    assert.ok(blocks.length <= HOME_MAX_BLOCKS, `${blocks.length} blocks`);
    const shown = caseOrder(blocks);
    assert.deepEqual(
      shown,
      cases.slice(0, shown.length).map((c) => c.workflowId),
      'the oldest, in order',
    );
    const more = blocks.find((b) => b.block_id === 'home_more');
    assert.match(JSON.stringify(more), new RegExp(`and ${40 - shown.length} more requests`));
    assert.match(text(blocks), /Recorded: Approved by Dana/);
    assert.match(text(blocks), /2 more cases waiting on you could not be read/);
  });

  it('keeps contact details out: only ids, amounts and the request sentence', () => {
    const blocks = homeView({ userId: DANA, cases: [homeCase('one')], now: NOW }).blocks;
    assert.doesNotMatch(JSON.stringify(blocks), /@[a-z0-9.-]+\.[a-z]{2,}|\+\d{6,}/i);
  });
});
