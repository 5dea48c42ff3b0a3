/**
 * Zendesk as it documents itself: `.json` paths, cursor/offset paging of comments, and 409 for an
 * update that collided with another (retried after a re-read, never duplicated).
 */
import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from './helpers';

describe('Zendesk paths, paging and conflicts', () => {
  let sb: TestSandbox;
  const auth = () =>
    `Basic ${Buffer.from(`${sb.config.connectors.zendesk.email}/token:${sb.config.connectors.zendesk.token}`).toString('base64')}`;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${sb.url}/zendesk/api/v2${path}`, {
      ...init,
      headers: { authorization: auth(), 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('serves the documented .json paths (POST /api/v2/tickets.json, show, update, comments)', async () => {
    const created = await api('/tickets.json', {
      method: 'POST',
      body: JSON.stringify({ ticket: { subject: 'Hi', comment: { body: 'Hello' } } }),
    });
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { ticket: { id: number } }).ticket.id;
    assert.equal((await api(`/tickets/${id}.json`)).status, 200);
    assert.equal(
      (await api(`/tickets/${id}.json`, { method: 'PUT', body: JSON.stringify({ ticket: { comment: { body: 'More', public: false } } }) }))
        .status,
      200,
    );
    const comments = (await (await api(`/tickets/${id}/comments.json`)).json()) as { comments: unknown[] };
    assert.equal(comments.comments.length, 2);
    // The suffix-less paths keep working.
    assert.equal((await api(`/tickets/${id}`)).status, 200);
  });

  it('pages comments by cursor (page[size] <= 100) and by offset (next_page), as documented', async () => {
    await sb.control('/zendesk/tickets/9001/comments/bulk', { count: 230 });
    const first = (await (await api('/tickets/9001/comments.json?page[size]=100')).json()) as {
      comments: unknown[];
      meta: { has_more: boolean; after_cursor: string };
      links: { next: string };
    };
    assert.equal(first.comments.length, 100);
    assert.equal(first.meta.has_more, true);
    assert.match(first.links.next, /page\[after\]=/);
    assert.equal((await api('/tickets/9001/comments.json?page[size]=101')).status, 400);
    const offset = (await (await api('/tickets/9001/comments.json')).json()) as {
      comments: unknown[];
      next_page: string | null;
      count: number;
    };
    assert.equal(offset.comments.length, 100);
    assert.equal(offset.count, 231);
    assert.ok(offset.next_page);
    const all = await sb.clients.zendesk.listComments(9001);
    assert.equal(all.length, 231);
    assert.equal(new Set(all.map((c) => c.id)).size, 231);
  });

  it('finds an earlier note past the first page and does not add it twice', async () => {
    await sb.control('/zendesk/tickets/9001/comments/bulk', { count: 150 });
    assert.deepEqual(await sb.clients.zendesk.addCommentOnce(9001, { body: 'Billing note', public: false }, '[ref:deep]'), { added: true });
    assert.deepEqual(await sb.clients.zendesk.addCommentOnce(9001, { body: 'Billing note', public: false }, '[ref:deep]'), {
      added: false,
    });
    await sb.control('/zendesk/tickets/9001/comments/bulk', { count: 120 });
    assert.deepEqual(await sb.clients.zendesk.addCommentOnce(9001, { body: 'Billing note', public: false }, '[ref:deep]'), {
      added: false,
    });
    const all = await sb.clients.zendesk.listComments(9001);
    assert.equal(all.filter((c) => c.body.includes('[ref:deep]')).length, 1);
  });

  it('retries a 409 (concurrent update) after re-reading the ticket, adding the note once', async () => {
    await sb.control('/zendesk/tickets/9001/conflict', { times: 1 });
    assert.deepEqual(await sb.clients.zendesk.addCommentOnce(9001, { body: 'Refund approved', public: false }, '[ref:c1]'), {
      added: true,
    });
    const all = await sb.clients.zendesk.listComments(9001);
    assert.equal(all.filter((c) => c.body.includes('[ref:c1]')).length, 1);
    assert.ok(
      all.some((c) => c.body === 'Another agent replied meanwhile.'),
      'the other update stands',
    );
    const puts = await sb.records('zendesk', (r) => r.method === 'PUT');
    assert.deepEqual(
      puts.map((r) => r.status),
      [409, 200],
    );
  });

  it('leaves a 409 that keeps colliding to Temporal as a retryable error', async () => {
    await sb.control('/zendesk/tickets/9001/conflict', { times: 10 });
    await rejectsWithType(
      sb.clients.zendesk.addCommentOnce(9001, { body: 'Refund approved', public: false }, '[ref:c2]'),
      'TransientError',
      (e) => {
        assert.equal(e.status, 409);
        assert.equal(e.nonRetryable, false);
      },
    );
  });
});
