/**
 * Gmail client (our own, over the shared HTTP layer): drafts and `users.messages.send` with a MIME
 * message we build, and mailbox search. `@googleapis/gmail` was evaluated (docs/connectors.md): it
 * can take a rootUrl, but it brings gaxios (which retries by default) and google-auth-library for
 * a few calls (the tests drive the sandbox with it). Gmail has no idempotency key and is reported
 * to replace the Message-ID of mail sent through the API, so exactly-once does not rest on it:
 * `sendOnce` writes a draft (its id is the caller's to keep, e.g. in heartbeat details), sends that
 * draft (a draft sends once: afterwards its id is gone), and the body carries a unique reference
 * that a Sent search finds when the draft id was lost.
 */
import type { ConnectorsConfig } from '../config/types';
import { HttpClient, type ErrorDescription } from './http';
import { BusinessRuleError, NotFoundError, TransientError, ValidationError } from './errors';
import { encodeUnstructuredHeader } from './encoding';
import { stripInvisible } from '../domain/text';

export interface GmailMessageRef {
  id: string;
  threadId: string;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  /** Plain text body. */
  text: string;
  /** Our Message-ID, without angle brackets, e.g. `<hash>@example.com`. */
  messageId: string;
  threadId?: string;
  inReplyTo?: string;
}

/** Google's JSON error: `{error:{code, message, errors:[{reason}], status}}`. Rate-limit 403s are retryable. */
export function describeGoogleError(status: number, body: unknown): ErrorDescription {
  const e = (body as { error?: { message?: string; errors?: { reason?: string }[]; status?: string } } | undefined)?.error;
  const reason = e?.errors?.[0]?.reason ?? e?.status;
  const rateLimited = reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded';
  return { code: reason, message: e?.message ?? `HTTP ${status}`, kind: rateLimited ? 'rate_limited' : undefined };
}

// Header values of ours: no line break or other control character.
// eslint-disable-next-line no-control-regex
const HEADER_SAFE = /^[^\r\n\u0000-\u001f\u007f]*$/;
const EMAIL = /^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/;

/**
 * Builds the RFC 2822 message. Addresses and ids are ours or on file: a line break there is refused.
 * The subject may carry a caller's words: it is made one line and RFC 2047-encoded
 * (encodeUnstructuredHeader), so it can neither add a header nor break the 75-character word limit.
 * The body is text/plain (base64), with invisible and control characters removed.
 */
export function buildMime(from: string, email: OutgoingEmail): string {
  for (const [name, v] of [
    ['to', email.to],
    ['messageId', email.messageId],
    ['from', from],
    ['inReplyTo', email.inReplyTo ?? ''],
  ] as const) {
    if (!HEADER_SAFE.test(v)) throw new ValidationError({ system: 'gmail' }, `${name} must be a single line`);
  }
  if (!EMAIL.test(email.to)) throw new ValidationError({ system: 'gmail' }, 'to is not an email address');
  const headers = [
    `From: ${from}`,
    `To: ${email.to}`,
    `Subject: ${encodeUnstructuredHeader(email.subject)}`,
    `Message-ID: <${email.messageId}>`,
    `Date: ${new Date().toUTCString()}`,
    ...(email.inReplyTo ? [`In-Reply-To: <${email.inReplyTo}>`, `References: <${email.inReplyTo}>`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
  ];
  const body = Buffer.from(stripInvisible(email.text), 'utf8')
    .toString('base64')
    .replace(/(.{76})/g, '$1\r\n');
  return `${headers.join('\r\n')}\r\n\r\n${body}\r\n`;
}

export class GmailClient {
  private readonly http: HttpClient;
  readonly sender: string;
  constructor(cfg: ConnectorsConfig['gmail'], opts: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.sender = cfg.sender;
    this.http = new HttpClient({
      system: 'gmail',
      baseUrl: `${cfg.baseUrl}/gmail/v1/users/me`,
      headers: () => ({ authorization: `Bearer ${cfg.token}` }),
      describeError: describeGoogleError,
      ...opts,
    });
  }

  async send(email: OutgoingEmail): Promise<GmailMessageRef> {
    const raw = Buffer.from(buildMime(this.sender, email), 'utf8').toString('base64url');
    const res = await this.http.request<GmailMessageRef>({
      method: 'POST',
      path: '/messages/send',
      body: { raw, ...(email.threadId ? { threadId: email.threadId } : {}) },
    });
    return { id: res.body.id, threadId: res.body.threadId };
  }

  /** The sent message with this Message-ID, if any (`rfc822msgid:` search). */
  async findByMessageId(messageId: string): Promise<GmailMessageRef | undefined> {
    const res = await this.http.request<{ messages?: GmailMessageRef[] }>({
      method: 'GET',
      path: '/messages',
      query: { q: `rfc822msgid:${messageId}`, maxResults: 1, includeSpamTrash: true },
    });
    return res.body.messages?.[0];
  }

  /** `users.drafts.create`: the message is stored, not sent. */
  async createDraft(email: OutgoingEmail): Promise<{ draftId: string; message: GmailMessageRef }> {
    const raw = Buffer.from(buildMime(this.sender, email), 'utf8').toString('base64url');
    const res = await this.http.request<{ id: string; message: GmailMessageRef }>({
      method: 'POST',
      path: '/drafts',
      body: { message: { raw, ...(email.threadId ? { threadId: email.threadId } : {}) } },
    });
    return { draftId: res.body.id, message: res.body.message };
  }

  /** `users.drafts.send`. A draft that was already sent (or deleted) is NotFoundError. */
  async sendDraft(draftId: string): Promise<GmailMessageRef> {
    const res = await this.http.request<GmailMessageRef>({ method: 'POST', path: '/drafts/send', body: { id: draftId } });
    return { id: res.body.id, threadId: res.body.threadId };
  }

  /** The first message matching a Gmail search (`q` as in the Gmail search box). */
  async searchMessages(q: string): Promise<GmailMessageRef | undefined> {
    const res = await this.http.request<{ messages?: GmailMessageRef[] }>({
      method: 'GET',
      path: '/messages',
      query: { q, maxResults: 1, includeSpamTrash: true },
    });
    return res.body.messages?.[0];
  }

  async findDraftId(q: string): Promise<string | undefined> {
    const res = await this.http.request<{ drafts?: { id: string }[] }>({ method: 'GET', path: '/drafts', query: { q, maxResults: 1 } });
    return res.body.drafts?.[0]?.id;
  }

  /**
   * Sends `email` once per `reference` (a token unique to the case step, appended to the text):
   * 1. a sent message carrying the reference means an earlier attempt sent it;
   * 2. otherwise send the draft `draftId` (kept by the caller from an earlier attempt), or the
   *    draft carrying the reference, or a new one (reported through `onDraft` before sending);
   * 3. a draft that is gone was sent by the earlier attempt whose response was lost: confirmed by
   *    the Sent search; if Sent does not show it either, refuse rather than risk a second email:
   *    retryable while `awaitSentIndex` (search may not show a just-sent message yet), then
   *    BusinessRuleError `draftGone` (a person looks).
   */
  async sendOnce(
    email: OutgoingEmail,
    opts: { reference: string; draftId?: string; onDraft?: (draftId: string) => void | Promise<void>; awaitSentIndex?: boolean },
  ): Promise<GmailMessageRef & { alreadySent: boolean }> {
    if (!/^[A-Za-z0-9-]{8,64}$/.test(opts.reference))
      throw new ValidationError({ system: 'gmail' }, 'reference must be 8-64 letters, digits or dashes');
    const sentQuery = `in:sent "${opts.reference}"`;
    const earlier = await this.searchMessages(sentQuery);
    if (earlier) return { ...earlier, alreadySent: true };
    const withRef = { ...email, text: `${email.text}\n\nRef: ${opts.reference}` };
    const draftId = opts.draftId ?? (await this.findDraftId(`in:drafts "${opts.reference}"`)) ?? (await this.createDraft(withRef)).draftId;
    await opts.onDraft?.(draftId);
    try {
      return { ...(await this.sendDraft(draftId)), alreadySent: false };
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      const sent = await this.searchMessages(sentQuery);
      if (sent) return { ...sent, alreadySent: true };
      const why = `draft ${draftId} is gone and no sent message carries reference ${opts.reference}; not sending again`;
      if (opts.awaitSentIndex) throw new TransientError({ system: 'gmail', code: 'draftGone' }, `${why} (yet)`);
      throw new BusinessRuleError({ system: 'gmail', code: 'draftGone' }, why);
    }
  }
}
