import assert from 'node:assert/strict';
import type { ApprovalRequestView } from '../../src/domain/views';
import { approvalBlocks, fallbackText, financeAlertBlocks, mention, reasonModal } from '../../src/connectors/slack-blocks';
import { fitMrkdwn, fitPlain, slackLink, slackQuote, slackText } from '../../src/connectors/slack-text';
import { decodeButtonValue, decodeModalMetadata, REASON_MODAL } from '../../src/connectors/slack-buttons';

const view = (over: Partial<ApprovalRequestView> = {}): ApprovalRequestView => ({
  workflowId: 'case-refund_request-call-1',
  requestId: 'req-1',
  caseType: 'refund_request',
  title: 'Refund approval: INV-1001, USD 1,200.00',
  urgency: 'normal',
  noteLines: ['Caller asked for a refund of a duplicate charge.'],
  fields: [{ label: 'Amount', value: 'USD 1,200.00' }],
  actions: [
    { action: 'approve', label: 'Approve', style: 'primary' },
    { action: 'reject', label: 'Reject', style: 'danger' },
  ],
  eligibleApprovers: ['U0FIN0001', 'U0FIN0002'],
  required: 2,
  votes: [],
  state: 'open',
  statusLine: 'Waiting for 2 approvals',
  mentions: [],
  links: [],
  ...over,
});

type AnyBlock = { type: string; elements?: { value?: string; action_id?: string }[]; text?: { text: string } };

describe('Slack Block Kit builders', () => {
  it('puts workflow id, request id and action into every button value', () => {
    const blocks = approvalBlocks(view()) as AnyBlock[];
    const buttons = blocks.find((b) => b.type === 'actions')?.elements ?? [];
    assert.deepEqual(
      buttons.map((b) => decodeButtonValue(b.value)),
      [
        { w: 'case-refund_request-call-1', r: 'req-1', a: 'approve' },
        { w: 'case-refund_request-call-1', r: 'req-1', a: 'reject' },
        { w: 'case-refund_request-call-1', r: 'req-1', a: 'hand_off' },
      ],
    );
    assert.equal(new Set(buttons.map((b) => b.action_id)).size, buttons.length, 'action ids are unique within the message');
  });

  it("a dispute's Accept button carries its whole plan (credit and refund, large amounts) and the route reads it back", () => {
    const subject = {
      amountMinor: 99_999_999_999_99,
      currency: 'USD',
      invoiceId: '123456789012',
      kind: 'balance_credit:99999999999900+refund_receipt:99',
    };
    const blocks = approvalBlocks(
      view({ caseType: 'charge_dispute', actions: [{ action: 'accept', label: 'Accept (credit and refund)', style: 'primary', subject }] }),
    ) as AnyBlock[];
    const accept = (blocks.find((b) => b.type === 'actions')?.elements ?? [])
      .map((e) => decodeButtonValue(e.value))
      .find((v) => v?.a === 'accept');
    assert.deepEqual(accept?.s, { m: subject.amountMinor, c: 'USD', i: subject.invoiceId, k: subject.kind });
  });

  it('removes the buttons once decided and says who approved when, with the count', () => {
    const blocks = approvalBlocks(
      view({
        state: 'approved',
        votes: [
          { actorId: 'U0FIN0001', action: 'approve', at: '2026-11-26T14:02:10Z' },
          { actorId: 'U0FIN0002', action: 'approve', at: '2026-11-26T14:05:00Z' },
        ],
        statusLine: 'Approved',
      }),
    ) as AnyBlock[];
    assert.equal(blocks.filter((b) => b.type === 'actions').length, 0);
    const text = JSON.stringify(blocks);
    assert.match(text, /Approved by <@U0FIN0001> at <!date\^\d+\^\{time\}\|14:02 UTC>, 1 of 2/);
    assert.match(text, /Approved by <@U0FIN0002> at <!date\^\d+\^\{time\}\|14:05 UTC>, 2 of 2/);
  });

  it('keeps the buttons after the first of two approvals', () => {
    const blocks = approvalBlocks(view({ votes: [{ actorId: 'U0FIN0001', action: 'approve', at: '2026-11-26T14:02:00Z' }] })) as AnyBlock[];
    assert.equal(blocks.filter((b) => b.type === 'actions').length, 1);
    assert.match(JSON.stringify(blocks), /1 of 2/);
  });

  it('offers one button per case type for triage, each carrying its case type', () => {
    const blocks = approvalBlocks(
      view({
        actions: [
          { action: 'choose_case', label: 'Refund', caseType: 'refund_request' },
          { action: 'choose_case', label: 'Invoice', caseType: 'invoice_resend' },
          { action: 'not_billing', label: 'Not billing' },
        ],
      }),
    ) as AnyBlock[];
    const values = (blocks.find((b) => b.type === 'actions')?.elements ?? []).map((e) => decodeButtonValue(e.value));
    assert.deepEqual(
      values.map((v) => [v?.a, v?.c]),
      [
        ['choose_case', 'refund_request'],
        ['choose_case', 'invoice_resend'],
        ['not_billing', undefined],
        ['hand_off', undefined],
      ],
    );
  });

  it('renders alert buttons only with a request id', () => {
    const alert = {
      workflowId: 'w',
      title: 'VIP cannot pay',
      urgency: 'urgent' as const,
      noteLines: ['x'],
      fields: [],
      mentions: ['U0OWN0002'],
      links: [],
      actions: [{ action: 'acknowledge' as const, label: "I'm on it" }],
    };
    assert.equal((financeAlertBlocks(alert) as AnyBlock[]).filter((b) => b.type === 'actions').length, 0);
    assert.equal((financeAlertBlocks({ ...alert, requestId: 'ack-1' }) as AnyBlock[]).filter((b) => b.type === 'actions').length, 1);
  });

  it('writes fallback text without Block Kit tokens', () => {
    assert.equal(
      fallbackText('Refund', 'Approved by <@U0FIN0001> at <!date^1795010520^{time}|14:02 UTC>'),
      'Refund: Approved by @U0FIN0001 at 14:02 UTC',
    );
  });

  it('builds a reason modal whose metadata round-trips and fits Slack limits', () => {
    const meta = JSON.stringify({
      w: 'case-x',
      r: 'req-1',
      a: 'reject',
      ch: 'C0FINANCE',
      ts: '1.000001',
      ru: 'http://127.0.0.1:4010/slack/hooks/actions/T/abc',
    });
    const modal = reasonModal({ action: 'reject', privateMetadata: meta }) as {
      title: { text: string };
      callback_id: string;
      private_metadata: string;
      blocks: { block_id: string }[];
    };
    assert.ok(modal.title.text.length <= 24);
    assert.equal(modal.callback_id, REASON_MODAL.callbackId);
    assert.equal(modal.blocks[0].block_id, REASON_MODAL.blockId);
    assert.equal(decodeModalMetadata(modal.private_metadata)?.a, 'reject');
    assert.equal(decodeModalMetadata('{"w":"x"}'), undefined, 'incomplete metadata is refused');
  });
});

describe('Slack output encoding (src/connectors/slack-text.ts, issue 22)', () => {
  it('escapes &, <, > and defuses formatting; keeps snake_case ids; removes invisible characters', () => {
    assert.equal(
      slackText('Duplicate charge <!channel>\n*Why review* <https://evil.example|Open> & _x_ ~y~ `z` duplicate_charge a\u202Eb\u200Bc'),
      'Duplicate charge &lt;!channel&gt; \u2217Why review\u2217 &lt;https://evil.example|Open&gt; &amp; \uff3fx\uff3f \u223cy\u223c \u02cbz\u02cb duplicate_charge abc',
    );
    assert.equal(slackQuote('one\n*two*'), '>one\n>\u2217two\u2217');
    assert.equal(mention('U0FIN0001'), '<@U0FIN0001>');
    assert.equal(mention('<!channel>'), '&lt;!channel&gt;');
    assert.equal(slackLink('https://ok.example/a?b=1&c=2', 'Open <it>|x'), '<https://ok.example/a?b=1&amp;c=2|Open &lt;it&gt;\u2223x>');
    assert.equal(slackLink('javascript:alert(1)', 'Open'), 'Open (javascript:alert(1))');
  });

  it('cuts within the limit without splitting an entity, a token or a surrogate pair', () => {
    const t = fitMrkdwn(`${'a'.repeat(2995)}&amp;b`, 3000);
    assert.ok(t.length <= 3000 && t.endsWith('a…'), t.slice(-10));
    const link = fitMrkdwn(`${'a'.repeat(2990)}<https://x.example/long|label>`, 3000);
    assert.ok(link.endsWith('a…'), link.slice(-10));
    const emoji = fitPlain(`${'a'.repeat(148)}👍🏽`, 150);
    assert.ok(emoji.length <= 150 && !/[\ud800-\udbff]…$/.test(emoji));
    assert.equal(fitMrkdwn('short', 3000), 'short');
  });
});
