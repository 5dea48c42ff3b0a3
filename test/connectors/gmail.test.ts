import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from './helpers';
import { buildMime, GmailClient } from '../../src/connectors/gmail';

describe('Gmail connector', () => {
  let sb: TestSandbox;
  const email = (id: string) => ({
    to: 'billing@acme.example',
    subject: 'Your invoice — INV-1001',
    text: 'Hello,\nyour invoice is attached.',
    messageId: `${id}@example.com`,
  });
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('sends a MIME message; Gmail gives it a Message-ID of its own, so rfc822msgid:<ours> finds nothing', async () => {
    const sent = await sb.clients.gmail.send(email('m1'));
    assert.ok(sent.id && sent.threadId);
    assert.equal(await sb.clients.gmail.findByMessageId('m1@example.com'), undefined);
    const [msg] = (await sb.control('/gmail/sent')) as { messageId: string; subject: string; from: string }[];
    assert.match(msg.messageId, /^<CA\+\w+@mail\.gmail\.com>$/);
    assert.equal((await sb.clients.gmail.findByMessageId(msg.messageId))?.id, sent.id);
    assert.equal(msg.from, 'billing@example.com');
    assert.match(msg.subject, /^=\?UTF-8\?B\?/);
  });

  it('does not send twice when the draft create response was dropped (the draft is found by its reference)', async () => {
    await sb.faults('gmail', { dropNext: 1 });
    await rejectsWithType(sb.clients.gmail.sendOnce(email('m2'), { reference: 'DN-ref-m2-0001' }), 'TransientError');
    const retry = await sb.clients.gmail.sendOnce(email('m2'), { reference: 'DN-ref-m2-0001' });
    assert.equal(retry.alreadySent, false);
    assert.equal(((await sb.control('/gmail/sent')) as unknown[]).length, 1);
    assert.equal(((await sb.control('/gmail/drafts')) as unknown[]).length, 0);
  });

  it('does not send twice when the drafts.send response was lost: the kept draft id is gone, Sent has the reference', async () => {
    let kept: string | undefined;
    const sendPosts = async () => (await sb.records('gmail', (r) => r.path.endsWith('/drafts/send'))).length;
    await sb.faults('gmail', { dropNext: 0 });
    // Drop only drafts.send (the second POST): let the create through first.
    const first = sb.clients.gmail.sendOnce(email('m3'), {
      reference: 'DN-ref-m3-0001',
      onDraft: async (id) => {
        kept = id;
        await sb.faults('gmail', { dropNext: 1 });
      },
    });
    await rejectsWithType(first, 'TransientError');
    assert.ok(kept);
    assert.equal(((await sb.control('/gmail/sent')) as unknown[]).length, 1, 'Gmail did send it');
    // Retry with the kept draft id: the Sent search finds the reference before anything is sent.
    const retry = await sb.clients.gmail.sendOnce(email('m3'), { reference: 'DN-ref-m3-0001', draftId: kept });
    assert.equal(retry.alreadySent, true);
    assert.equal(await sendPosts(), 1);
    assert.equal(((await sb.control('/gmail/sent')) as { text: string }[]).length, 1);
    assert.match(((await sb.control('/gmail/sent')) as { text: string }[])[0].text, /Ref: DN-ref-m3-0001/);
  });

  it('sends the kept draft (no second draft) when the earlier attempt stopped before drafts.send', async () => {
    const { draftId } = await sb.clients.gmail.createDraft({ ...email('m5'), text: 'Hello\n\nRef: DN-ref-m5-0001' });
    const res = await sb.clients.gmail.sendOnce(email('m5'), { reference: 'DN-ref-m5-0001', draftId });
    assert.equal(res.alreadySent, false);
    assert.equal((await sb.records('gmail', (r) => r.method === 'POST' && r.path.endsWith('/drafts'))).length, 1, 'no new draft');
    assert.equal(((await sb.control('/gmail/sent')) as unknown[]).length, 1);
  });

  it('refuses to send again when a kept draft is gone and Sent does not show it (fail safe, never a second email)', async () => {
    const { draftId } = await sb.clients.gmail.createDraft({ ...email('m4'), text: 'other text' });
    const res = await fetch(`${sb.url}/gmail/gmail/v1/users/me/drafts/${draftId}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer sandbox-google-token' },
    });
    assert.equal(res.status, 204);
    await rejectsWithType(
      sb.clients.gmail.sendOnce(email('m4'), { reference: 'DN-ref-m4-0001', draftId, awaitSentIndex: true }),
      'TransientError',
      (e) => assert.equal(e.code, 'draftGone'),
    );
    await rejectsWithType(sb.clients.gmail.sendOnce(email('m4'), { reference: 'DN-ref-m4-0001', draftId }), 'BusinessRuleError', (e) =>
      assert.equal(e.code, 'draftGone'),
    );
    assert.equal(((await sb.control('/gmail/sent')) as unknown[]).length, 0);
    await rejectsWithType(sb.clients.gmail.sendOnce(email('m4'), { reference: 'bad ref' }), 'ValidationError');
  });

  it('refuses header injection and bad addresses before sending', async () => {
    // A subject (it may carry a caller's words) cannot add a header: its line breaks become spaces.
    const mime = buildMime('a@b.example', { ...email('x'), subject: 'hi\r\nBcc: evil@x.example' });
    const headers = mime.slice(0, mime.indexOf('\r\n\r\n')).split(/\r\n(?![ \t])/);
    assert.ok(!headers.some((h) => /^bcc:/i.test(h)), 'no Bcc header');
    assert.equal(headers.filter((h) => /^subject:/i.test(h)).length, 1);
    // Addresses and ids are ours or on file: a line break there is refused outright.
    assert.throws(() => buildMime('a@b.example', { ...email('x'), to: 'a@b.example\r\nBcc: evil@x.example' }), /single line/);
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

  it('encodes a long non-ASCII subject as RFC 2047 words of at most 75 characters that decode to the subject (issue 22)', () => {
    const subject = 'Rückerstattung für Ihre Rechnung INV-1002 — 请确认退款 — 👍🏽 ' + 'é'.repeat(120);
    const mime = buildMime('a@b.example', { ...email('x'), subject });
    const header = mime
      .slice(0, mime.indexOf('\r\n\r\n'))
      .split(/\r\n(?![ \t])/)
      .find((h) => h.startsWith('Subject: '))!;
    const words = header.slice('Subject: '.length).split(/\r\n /);
    assert.ok(words.length > 1, 'split into several words');
    for (const w of words) {
      assert.ok(w.length <= 75, `${w.length} characters: ${w}`);
      assert.match(w, /^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    }
    for (const line of header.split('\r\n')) assert.ok(line.length <= 78, `line of ${line.length}`);
    // Each word decodes on its own (no UTF-8 sequence is split between words).
    const decoded = words.map((w) => {
      const bytes = Buffer.from(w.slice(10, -2), 'base64');
      assert.equal(Buffer.from(bytes.toString('utf8'), 'utf8').compare(bytes), 0, 'a whole UTF-8 sequence');
      return bytes.toString('utf8');
    });
    assert.equal(decoded.join(''), subject.trim());
    // Short ASCII stays as is; ASCII that looks like an encoded word is encoded.
    assert.match(buildMime('a@b.example', { ...email('x'), subject: 'Your receipt' }), /^Subject: Your receipt\r$/m);
    assert.doesNotMatch(buildMime('a@b.example', { ...email('x'), subject: '=?UTF-8?B?SGk=?=' }), /^Subject: =\?UTF-8\?B\?SGk=\?=\r$/m);
  });
});
