/**
 * Gmail API stand-in: `users.messages.send` (base64url RFC 2822 `raw`), `users.drafts.create / get /
 * list / send / delete`, `users.messages.list` with a search `q` (`in:sent`, `in:drafts`,
 * `rfc822msgid:`, `to:`, `subject:`, quoted phrases and words in the text), and `users.messages.get`.
 * As reported for Gmail, a sent message gets a Message-ID of Gmail's own (`<…@mail.gmail.com>`):
 * the client's is not kept, so `rfc822msgid:<ours>` finds nothing. A sent draft is no longer a
 * draft (404 on the draft id). Auth: OAuth bearer. Errors: Google's JSON error envelope.
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
  /** The Message-ID header the message carries (Gmail's own once sent). */
  messageId?: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  internalDate: string;
  raw: string;
}

export function googleError(res: Response, code: number, reason: string, message: string) {
  const status =
    {
      400: 'INVALID_ARGUMENT',
      401: 'UNAUTHENTICATED',
      403: 'PERMISSION_DENIED',
      404: 'NOT_FOUND',
      409: 'ALREADY_EXISTS',
      429: 'RESOURCE_EXHAUSTED',
      503: 'UNAVAILABLE',
    }[code] ?? 'UNKNOWN';
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

/** The text of a single-part message body, decoding base64 / quoted-printable as its headers say. */
function bodyText(headers: Record<string, string>, body: string): string {
  const cte = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (cte === 'quoted-printable')
    return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return body;
}

/** RFC 2047 encoded words (`=?UTF-8?B?…?=`) to text, for subject search. */
function decodeWords(v: string): string {
  return v.replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_m, b: string) => Buffer.from(b, 'base64').toString('utf8'));
}

/**
 * A subset of Gmail's search operators: `in:sent|drafts|anywhere`, `rfc822msgid:`, `to:`, `from:`,
 * `subject:`, `"quoted phrase"` and bare words (matched in subject and text, case-insensitively).
 */
function matches(m: SentMessage, q: string): boolean {
  const terms = q.match(/(?:[a-z0-9]+:)?(?:"[^"]*"|\S+)/gi) ?? [];
  return terms.every((term) => {
    const op = /^([a-z0-9]+):(.*)$/i.exec(term);
    const unq = (v: string) => v.replace(/^"|"$/g, '').toLowerCase();
    if (op) {
      const [key, raw] = [op[1].toLowerCase(), unq(op[2])];
      if (key === 'in')
        return (
          raw === 'anywhere' ||
          (raw === 'sent' && m.labelIds.includes('SENT')) ||
          ((raw === 'drafts' || raw === 'draft') && m.labelIds.includes('DRAFT'))
        );
      if (key === 'rfc822msgid') return (m.messageId ?? '').replace(/^<|>$/g, '').toLowerCase() === raw.replace(/^<|>$/g, '');
      if (key === 'to') return m.to.toLowerCase().includes(raw);
      if (key === 'from') return m.from.toLowerCase().includes(raw);
      if (key === 'subject') return decodeWords(m.subject).toLowerCase().includes(raw);
    }
    const needle = unq(term);
    return `${decodeWords(m.subject)}\n${m.text}`.toLowerCase().includes(needle);
  });
}

export function createGmailSystem(): SandboxSystem {
  let sent: SentMessage[] = [];
  /** draft id -> the draft's message (label DRAFT) until it is sent or deleted. */
  let drafts = new Map<string, SentMessage>();
  const reset = () => {
    sent = [];
    drafts = new Map();
  };
  const newId = () => uuid().replace(/-/g, '').slice(0, 16);
  /** Parses and checks a `raw` message; an error text in Gmail's words when it is not acceptable. */
  const readRaw = (raw: unknown): { headers: Record<string, string>; text: string; from: string } | string => {
    if (typeof raw !== 'string' || raw === '') return "'raw' RFC822 payload message string or uploading message via /upload/* URL required";
    const { headers, body } = parseMime(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!headers.to || !/^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/.test(headers.to.replace(/^.*<(.+)>$/, '$1'))) return 'Invalid To header';
    const from = (headers.from ?? '').replace(/^.*<(.+)>$/, '$1');
    if (from && from !== GMAIL_USER) return 'Mail service not enabled for the From address (not the user or a verified send-as alias)';
    return { headers, text: bodyText(headers, body), from: from || GMAIL_USER };
  };
  /** Sends a message: Gmail assigns its own Message-ID. */
  const deliver = (m: SentMessage): SentMessage => {
    const out: SentMessage = {
      ...m,
      labelIds: ['SENT'],
      messageId: `<CA+${newId()}${newId()}@mail.gmail.com>`,
      internalDate: String(Date.now()),
    };
    sent.push(out);
    return out;
  };
  const ref = (m: SentMessage) => ({ id: m.id, threadId: m.threadId, labelIds: m.labelIds });

  const router = () => {
    const r = express.Router();
    r.use((req, res, next) => {
      if (bearer(req) !== SANDBOX_CREDENTIALS.google)
        return googleError(res, 401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
      next();
    });
    r.use('/gmail/v1/users/:userId', (req, res, next) => {
      if (req.params.userId !== 'me' && req.params.userId !== GMAIL_USER)
        return googleError(res, 403, 'forbidden', 'Delegation denied for ' + req.params.userId);
      next();
    });

    r.post('/gmail/v1/users/:userId/messages/send', (req, res) => {
      const b = (req.body ?? {}) as { raw?: string; threadId?: string };
      const parsed = readRaw(b.raw);
      if (typeof parsed === 'string')
        return googleError(res, 400, parsed.startsWith('Mail service') ? 'failedPrecondition' : 'invalidArgument', parsed);
      const id = newId();
      const thread = b.threadId && sent.some((m) => m.threadId === b.threadId) ? b.threadId : id;
      const msg = deliver({
        id,
        threadId: thread,
        labelIds: [],
        from: parsed.from,
        to: parsed.headers.to,
        subject: parsed.headers.subject ?? '',
        text: parsed.text,
        internalDate: '',
        raw: b.raw!,
      });
      res.json(ref(msg));
    });

    r.post('/gmail/v1/users/:userId/drafts', (req, res) => {
      const b = (req.body ?? {}) as { message?: { raw?: string; threadId?: string } };
      const parsed = readRaw(b.message?.raw);
      if (typeof parsed === 'string')
        return googleError(res, 400, parsed.startsWith('Mail service') ? 'failedPrecondition' : 'invalidArgument', parsed);
      const id = `r${newId()}`;
      const msgId = newId();
      const draft: SentMessage = {
        id: msgId,
        threadId: b.message?.threadId ?? msgId,
        labelIds: ['DRAFT'],
        messageId: parsed.headers['message-id'],
        from: parsed.from,
        to: parsed.headers.to,
        subject: parsed.headers.subject ?? '',
        text: parsed.text,
        internalDate: String(Date.now()),
        raw: b.message!.raw!,
      };
      drafts.set(id, draft);
      res.json({ id, message: ref(draft) });
    });
    r.get('/gmail/v1/users/:userId/drafts', (req, res) => {
      const q = typeof req.query.q === 'string' ? req.query.q : '';
      const hits = [...drafts.entries()].filter(([, m]) => !q || matches(m, q));
      res.json(
        hits.length
          ? { drafts: hits.map(([id, m]) => ({ id, message: { id: m.id, threadId: m.threadId } })), resultSizeEstimate: hits.length }
          : { resultSizeEstimate: 0 },
      );
    });
    r.get('/gmail/v1/users/:userId/drafts/:id', (req, res) => {
      const d = drafts.get(req.params.id);
      if (!d) return googleError(res, 404, 'notFound', 'Requested entity was not found.');
      res.json({ id: req.params.id, message: ref(d) });
    });
    r.delete('/gmail/v1/users/:userId/drafts/:id', (req, res) => {
      if (!drafts.delete(req.params.id)) return googleError(res, 404, 'notFound', 'Requested entity was not found.');
      res.status(204).end();
    });
    r.post('/gmail/v1/users/:userId/drafts/send', (req, res) => {
      const id = ((req.body ?? {}) as { id?: string }).id;
      if (!id) return googleError(res, 400, 'invalidArgument', 'Invalid draft');
      const d = drafts.get(id);
      // A draft that was sent (or deleted) is gone: sending it again is "not found".
      if (!d) return googleError(res, 404, 'notFound', 'Requested entity was not found.');
      drafts.delete(id);
      res.json(ref(deliver(d)));
    });

    r.get('/gmail/v1/users/:userId/messages', (req, res) => {
      const q = typeof req.query.q === 'string' ? req.query.q : '';
      // messages.list covers drafts too; newest first, as Gmail lists.
      const all = [...sent, ...drafts.values()].sort((a, b) => Number(b.internalDate) - Number(a.internalDate));
      const hits = all.filter((m) => !q || matches(m, q));
      res.json(
        hits.length
          ? { messages: hits.map((m) => ({ id: m.id, threadId: m.threadId })), resultSizeEstimate: hits.length }
          : { resultSizeEstimate: 0 },
      );
    });

    r.get('/gmail/v1/users/:userId/messages/:id', (req, res) => {
      const s = [...sent, ...drafts.values()].find((x) => x.id === req.params.id);
      if (!s) return googleError(res, 404, 'notFound', 'Requested entity was not found.');
      res.json({
        id: s.id,
        threadId: s.threadId,
        labelIds: s.labelIds,
        snippet: s.text.slice(0, 100),
        internalDate: s.internalDate,
        payload: {
          headers: [
            { name: 'Message-ID', value: s.messageId ?? '' },
            { name: 'To', value: s.to },
            { name: 'From', value: s.from },
            { name: 'Subject', value: s.subject },
          ],
        },
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
        ? {
            error: {
              code: 429,
              message: 'User-rate limit exceeded.',
              errors: [{ message: 'User-rate limit exceeded.', domain: 'usageLimits', reason: 'userRateLimitExceeded' }],
              status: 'RESOURCE_EXHAUSTED',
            },
          }
        : {
            error: {
              code: status,
              message: 'Backend Error',
              errors: [{ message: 'Backend Error', domain: 'global', reason: 'backendError' }],
              status: 'UNAVAILABLE',
            },
          },
    reset,
    controlRouter() {
      const r = express.Router();
      r.get('/sent', (_req, res) => res.json(sent.map(({ raw: _r, ...m }) => m)));
      r.get('/drafts', (_req, res) => res.json([...drafts.entries()].map(([id, { raw: _r, ...m }]) => ({ draftId: id, ...m }))));
      return r;
    },
  };
}
