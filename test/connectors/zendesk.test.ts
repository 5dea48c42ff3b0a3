import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from './helpers';
import { ZendeskClient } from '../../src/connectors/zendesk';

describe('Zendesk connector', () => {
  let sb: TestSandbox;
  const ticket = {
    subject: 'Refund request',
    comment: { body: 'We are looking into your refund.', public: true },
    requester: { email: 'billing@acme.example' },
    priority: 'high' as const,
    tags: ['billing'],
  };
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('creates a ticket with an Idempotency-Key, and a repeat replays it (x-idempotency-lookup: hit)', async () => {
    const first = await sb.clients.zendesk.createTicket(ticket, 'key-1');
    assert.equal(first.replayed, false);
    assert.equal(first.ticket.priority, 'high');
    const again = await sb.clients.zendesk.createTicket(ticket, 'key-1');
    assert.equal(again.replayed, true);
    assert.equal(again.ticket.id, first.ticket.id);
    const [rec] = await sb.records('zendesk', (r) => r.method === 'POST');
    assert.equal(rec.headers['idempotency-key'], 'key-1');
    assert.equal(rec.headers.authorization, '[present]');
  });

  it('creates one ticket when the first response was dropped and the create is retried', async () => {
    await sb.faults('zendesk', { dropNext: 1 });
    await rejectsWithType(sb.clients.zendesk.createTicket(ticket, 'key-2'), 'TransientError');
    const retry = await sb.clients.zendesk.createTicket(ticket, 'key-2');
    assert.equal(retry.replayed, true);
    assert.equal(((await sb.control('/zendesk/tickets')) as unknown[]).length, 2); // seed ticket 9001 + ours
  });

  it('refuses a reused key with another body: 400 IdempotentRequestError (BusinessRuleError)', async () => {
    await sb.clients.zendesk.createTicket(ticket, 'key-3');
    await rejectsWithType(sb.clients.zendesk.createTicket({ ...ticket, subject: 'Different' }, 'key-3'), 'BusinessRuleError', (e) =>
      assert.equal(e.code, 'IdempotentRequestError'),
    );
  });

  it('adds an internal note once, and edits tags without replacing them', async () => {
    assert.deepEqual(await sb.clients.zendesk.addCommentOnce(9001, { body: 'Billing note', public: false }, '[ref:n1]'), { added: true });
    assert.deepEqual(await sb.clients.zendesk.addCommentOnce(9001, { body: 'Billing note', public: false }, '[ref:n1]'), { added: false });
    const comments = await sb.clients.zendesk.listComments(9001);
    assert.equal(comments.filter((c) => c.body.includes('[ref:n1]')).length, 1);
    assert.equal(comments.at(-1)?.public, false);
    // Public comments carry no reference token: they are matched by their text.
    assert.deepEqual(await sb.clients.zendesk.addCommentOnce(9001, { body: 'Your refund is on its way.', public: true }, '[ref:p1]'), {
      added: true,
    });
    assert.deepEqual(await sb.clients.zendesk.addCommentOnce(9001, { body: 'Your refund is on its way.', public: true }, '[ref:p1]'), {
      added: false,
    });
    assert.ok(!(await sb.clients.zendesk.listComments(9001)).some((c) => c.public && c.body.includes('[ref:')));
    const t = await sb.clients.zendesk.updateTicket(9001, { additional_tags: ['refund'] });
    assert.deepEqual(t.tags, ['billing', 'refund']);
  });

  it('classifies RecordInvalid (422), RecordNotFound (404) and bad credentials', async () => {
    await rejectsWithType(sb.clients.zendesk.createTicket({ ...ticket, requester: { email: 'nope' } }, 'key-4'), 'ValidationError', (e) =>
      assert.equal(e.code, 'RecordInvalid'),
    );
    await rejectsWithType(sb.clients.zendesk.getTicket(424242), 'NotFoundError', (e) => assert.equal(e.code, 'RecordNotFound'));
    const bad = new ZendeskClient({ ...sb.config.connectors.zendesk, token: 'wrong' });
    await rejectsWithType(bad.getTicket(9001), 'AuthError');
  });
});
