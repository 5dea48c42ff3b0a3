import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from './helpers';
import { buildMime, GmailClient } from '../../src/connectors/gmail';

describe('Gmail connector', () => {
  let sb: TestSandbox;
  const email = (id: string) => ({ to: 'billing@acme.example', subject: 'Your invoice — INV-1001', text: 'Hello,\nyour invoice is attached.', messageId: `${id}@example.com` });
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('sends a MIME message carrying our own Message-ID and finds it again by rfc822msgid', async () => {
    const sent = await sb.clients.gmail.send(email('m1'));
    assert.ok(sent.id && sent.threadId);
    const found = await sb.clients.gmail.findByMessageId('m1@example.com');
    assert.equal(found?.id, sent.id);
    const [msg] = (await sb.control('/gmail/sent')) as { messageId: string; subject: string; from: string }[];
    assert.equal(msg.messageId, '<m1@example.com>');
    assert.equal(msg.from, 'billing@example.com');
    assert.match(msg.subject, /^=\?UTF-8\?B\?/);
  });

  it('does not send twice when the first response was dropped (Sent search before re-sending)', async () => {
    await sb.faults('gmail', { dropNext: 1 });
    await rejectsWithType(sb.clients.gmail.sendOnce(email('m2')), 'TransientError');
    const retry = await sb.clients.gmail.sendOnce(email('m2'));
    assert.equal(retry.alreadySent, true);
    assert.equal(((await sb.control('/gmail/sent')) as unknown[]).length, 1);
  });

  it('refuses header injection and bad addresses before sending', async () => {
    assert.throws(() => buildMime('a@b.example', { ...email('x'), subject: 'hi\r\nBcc: evil@x.example' }), /single line/);
    await rejectsWithType(sb.clients.gmail.send({ ...email('x'), to: 'not-an-email' }), 'ValidationError');
    assert.equal((await sb.records('gmail')).length, 0);
  });

  it('classifies Google errors: 400 invalidArgument, 401, 429 userRateLimitExceeded', async () => {
    const wrongSender = new GmailClient({ ...sb.config.connectors.gmail, sender: 'someone@else.example' });
    await rejectsWithType(wrongSender.send(email('m3')), 'ValidationError', (e) => assert.equal(e.code, 'failedPrecondition'));
    const bad = new GmailClient({ ...sb.config.connectors.gmail, token: 'expired' });
    await rejectsWithType(bad.send(email('m4')), 'AuthError');
    await sb.faults('gmail', { rateLimitNext: 1, retryAfterSeconds: 4 });
    await rejectsWithType(sb.clients.gmail.send(email('m5')), 'RateLimitedError', (e) => assert.equal(e.code, 'userRateLimitExceeded'));
  });
});
