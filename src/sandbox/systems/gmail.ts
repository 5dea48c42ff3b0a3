/**
 * Gmail API stand-in: `users.messages.send` (base64url RFC 2822 `raw`), `users.messages.list` with
 * `q=rfc822msgid:<id>` (the Sent search a retry does before re-sending), and `users.messages.get`.
 * The client-supplied Message-ID is kept. Auth: OAuth bearer. Errors: Google's JSON error envelope.
 */
import express, { type Response } from 'express';
import type { SandboxSystem } from '../core';
import { SANDBOX_CREDENTIALS, bearer, uuid } from '../support';

/** The mailbox the sandbox token authenticates as (docs/sandbox-seed.md, GMAIL_SENDER default). */
export const GMAIL_USER = 'billing@example.com';

interface SentMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  messageId?: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  internalDate: string;
  raw: string;
}

export function googleError(res: Response, code: number, reason: string, message: string) {
  const status = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS', 429: 'RESOURCE_EXHAUSTED', 503: 'UNAVAILABLE' }[code] ?? 'UNKNOWN';
  res.status(code).json({ error: { code, message, errors: [{ message, domain: 'global', reason }], status } });
}

/** Splits an RFC 2822 message into headers (lower-cased names, unfolded) and body. */
export function parseMime(text: string): { headers: Record<string, string>; body: string } {
  const split = text.search(/\r?\n\r?\n/);
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  let last = '';
  for (const line of head.split(/\r?\n/)) {
    if (/^\s/.test(line) && last) headers[last] += ` ${line.trim()}`;
    else {
      const i = line.indexOf(':');
      if (i > 0) {
        last = line.slice(0, i).trim().toLowerCase();
        headers[last] = line.slice(i + 1).trim();
      }
    }
  }
  return { headers, body };
}

export function createGmailSystem(): SandboxSystem {
  let sent: SentMessage[] = [];
  const reset = () => {
    sent = [];
  };

  const router = () => {
    const r = express.Router();
    r.use((req, res, next) => {
      if (bearer(req) !== SANDBOX_CREDENTIALS.google) return googleError(res, 401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
      next();
    });
    r.use('/gmail/v1/users/:userId', (req, res, next) => {
      if (req.params.userId !== 'me' && req.params.userId !== GMAIL_USER) return googleError(res, 403, 'forbidden', 'Delegation denied for ' + req.params.userId);
      next();
    });

    r.post('/gmail/v1/users/:userId/messages/send', (req, res) => {
      const b = (req.body ?? {}) as { raw?: string; threadId?: string };
      if (typeof b.raw !== 'string' || b.raw === '') return googleError(res, 400, 'invalidArgument', "'raw' RFC822 payload message string or uploading message via /upload/* URL required");
      const text = Buffer.from(b.raw, 'base64url').toString('utf8');
      const { headers, body } = parseMime(text);
      if (!headers.to) return googleError(res, 400, 'invalidArgument', 'Invalid To header');
      if (!/^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/.test(headers.to.replace(/^.*<(.+)>$/, '$1'))) return googleError(res, 400, 'invalidArgument', 'Invalid To header');
      const from = (headers.from ?? '').replace(/^.*<(.+)>$/, '$1');
      if (from && from !== GMAIL_USER) return googleError(res, 400, 'failedPrecondition', 'Mail service not enabled for the From address (not the user or a verified send-as alias)');
      const id = uuid().replace(/-/g, '').slice(0, 16);
      const thread = b.threadId && sent.find((m) => m.threadId === b.threadId) ? b.threadId : id;
      const msg: SentMessage = {
        id,
        threadId: thread,
        labelIds: ['SENT'],
        messageId: headers['message-id'],
        from: from || GMAIL_USER,
        to: headers.to,
        subject: headers.subject ?? '',
        text: body,
        internalDate: String(Date.now()),
        raw: b.raw,
      };
      sent.push(msg);
      res.json({ id: msg.id, threadId: msg.threadId, labelIds: msg.labelIds });
    });

    r.get('/gmail/v1/users/:userId/messages', (req, res) => {
      const q = typeof req.query.q === 'string' ? req.query.q : '';
      const m = /rfc822msgid:\s*<?([^\s>]+)>?/i.exec(q);
      const hits = m ? sent.filter((s) => s.messageId?.replace(/^<|>$/g, '') === m[1]) : q ? [] : sent;
      res.json(hits.length ? { messages: hits.map((s) => ({ id: s.id, threadId: s.threadId })), resultSizeEstimate: hits.length } : { resultSizeEstimate: 0 });
    });

    r.get('/gmail/v1/users/:userId/messages/:id', (req, res) => {
      const s = sent.find((x) => x.id === req.params.id);
      if (!s) return googleError(res, 404, 'notFound', 'Requested entity was not found.');
      res.json({
        id: s.id,
        threadId: s.threadId,
        labelIds: s.labelIds,
        snippet: s.text.slice(0, 100),
        internalDate: s.internalDate,
        payload: { headers: [{ name: 'Message-ID', value: s.messageId ?? '' }, { name: 'To', value: s.to }, { name: 'From', value: s.from }, { name: 'Subject', value: s.subject }] },
        ...(req.query.format === 'raw' ? { raw: s.raw } : {}),
      });
    });
    return r;
  };

  return {
    name: 'gmail',
    title: 'Gmail',
    router,
    faultBody: (status) =>
      status === 429
        ? { error: { code: 429, message: 'User-rate limit exceeded.', errors: [{ message: 'User-rate limit exceeded.', domain: 'usageLimits', reason: 'userRateLimitExceeded' }], status: 'RESOURCE_EXHAUSTED' } }
        : { error: { code: status, message: 'Backend Error', errors: [{ message: 'Backend Error', domain: 'global', reason: 'backendError' }], status: 'UNAVAILABLE' } },
    reset,
    controlRouter() {
      const r = express.Router();
      r.get('/sent', (_req, res) => res.json(sent.map(({ raw: _r, ...m }) => m)));
      return r;
    },
  };
}
