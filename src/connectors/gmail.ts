/**
 * Gmail client (our own, over the shared HTTP layer): `users.messages.send` with a MIME message we
 * build, and the `rfc822msgid:` search. `@googleapis/gmail` was evaluated (docs/connectors.md): it
 * can take a rootUrl, but it brings gaxios (which retries by default) and google-auth-library for
 * two calls. Gmail has no idempotency key: we set our own Message-ID and `sendOnce` searches the
 * mailbox for it before sending, so a retry whose first response was lost sends nothing twice.
 */
import type { ConnectorsConfig } from '../config';
import { HttpClient, type ErrorDescription } from './http';
import { ValidationError } from './errors';

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

const HEADER_SAFE = /^[^\r\n]*$/;
const EMAIL = /^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/;

/** RFC 2047 encoded-word when a header has non-ASCII characters. */
function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** Builds the RFC 2822 message. Refuses header injection and malformed addresses. */
export function buildMime(from: string, email: OutgoingEmail): string {
  for (const [name, v] of [['to', email.to], ['subject', email.subject], ['messageId', email.messageId], ['from', from]] as const) {
    if (!HEADER_SAFE.test(v)) throw new ValidationError({ system: 'gmail' }, `${name} must be a single line`);
  }
  if (!EMAIL.test(email.to)) throw new ValidationError({ system: 'gmail' }, 'to is not an email address');
  const headers = [
    `From: ${from}`,
    `To: ${email.to}`,
    `Subject: ${encodeHeader(email.subject)}`,
    `Message-ID: <${email.messageId}>`,
    `Date: ${new Date().toUTCString()}`,
    ...(email.inReplyTo ? [`In-Reply-To: <${email.inReplyTo}>`, `References: <${email.inReplyTo}>`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: base64',
  ];
  const body = Buffer.from(email.text, 'utf8').toString('base64').replace(/(.{76})/g, '$1\r\n');
  return `${headers.join('\r\n')}\r\n\r\n${body}\r\n`;
}

export class GmailClient {
  private readonly http: HttpClient;
  readonly sender: string;
  constructor(cfg: ConnectorsConfig['gmail'], opts: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.sender = cfg.sender;
    this.http = new HttpClient({ system: 'gmail', baseUrl: `${cfg.baseUrl}/gmail/v1/users/me`, headers: () => ({ authorization: `Bearer ${cfg.token}` }), describeError: describeGoogleError, ...opts });
  }

  async send(email: OutgoingEmail): Promise<GmailMessageRef> {
    const raw = Buffer.from(buildMime(this.sender, email), 'utf8').toString('base64url');
    const res = await this.http.request<GmailMessageRef>({ method: 'POST', path: '/messages/send', body: { raw, ...(email.threadId ? { threadId: email.threadId } : {}) } });
    return { id: res.body.id, threadId: res.body.threadId };
  }

  /** The sent message with this Message-ID, if any (`rfc822msgid:` search). */
  async findByMessageId(messageId: string): Promise<GmailMessageRef | undefined> {
    const res = await this.http.request<{ messages?: GmailMessageRef[] }>({ method: 'GET', path: '/messages', query: { q: `rfc822msgid:${messageId}`, maxResults: 1, includeSpamTrash: true } });
    return res.body.messages?.[0];
  }

  /** Sends unless a message with this Message-ID already went out. */
  async sendOnce(email: OutgoingEmail): Promise<GmailMessageRef & { alreadySent: boolean }> {
    const existing = await this.findByMessageId(email.messageId);
    if (existing) return { ...existing, alreadySent: true };
    return { ...(await this.send(email)), alreadySent: false };
  }
}
