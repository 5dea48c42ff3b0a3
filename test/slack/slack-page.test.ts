import assert from 'node:assert/strict';
import { renderMrkdwn, renderSlackPage } from '../../src/sandbox/pages/slack-page';
import { SLACK_SEED } from '../../src/sandbox/systems/slack/seed';
import { createSlackSystem } from '../../src/sandbox/systems/slack/system';

describe('sandbox Slack page rendering', () => {
  it('renders mentions, dates, links, bold and quotes the way a Slack client shows them', () => {
    const html = renderMrkdwn(
      '*Approved* by <@U0FIN0001> at <!date^1795010520^{time}|14:02 UTC>\n>too expensive\n<https://example.com/x|Ticket>',
      SLACK_SEED.users,
    );
    assert.match(html, /<b>Approved<\/b> by <span class="mention">@Dana Finance<\/span> at <span class="date">14:02 UTC<\/span>/);
    assert.match(html, /<blockquote>too expensive<\/blockquote>/);
    assert.match(html, /<a href="https:\/\/example.com\/x"[^>]*>Ticket<\/a>/);
  });

  it('escapes markup coming from messages (no script injection into the page)', () => {
    const html = renderMrkdwn('<img src=x onerror=alert(1)> "quoted" <javascript:alert(1)|click>', SLACK_SEED.users);
    assert.ok(!html.includes('<img'));
    assert.ok(!html.includes('href="javascript'));
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  });

  it('shows ephemeral replies only to the user they are for, and an open modal only to its user', () => {
    const sys = createSlackSystem();
    sys.state.messages.push({ channel: 'C0FINANCE', ts: '100.000001', text: 'hi', blocks: [], user: 'U0BOT0001' });
    sys.state.ephemerals.push({ channel: 'C0FINANCE', user: 'U0AGT0001', ts: '100.000002', text: 'You are not authorized' });
    sys.state.views.push({
      id: 'V1',
      user: 'U0FIN0002',
      open: true,
      view: { type: 'modal', title: { type: 'plain_text', text: 'Reject request' }, blocks: [] },
    });
    const page = (as: string) => renderSlackPage({ state: sys.state, seed: SLACK_SEED, as, channel: 'C0FINANCE' });
    assert.match(page('U0AGT0001'), /You are not authorized/);
    assert.doesNotMatch(page('U0FIN0001'), /You are not authorized/);
    assert.match(page('U0FIN0002'), /id="modal"/);
    assert.doesNotMatch(page('U0FIN0001'), /id="modal"/);
  });
});
