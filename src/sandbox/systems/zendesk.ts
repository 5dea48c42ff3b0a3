/**
 * Zendesk Support stand-in: create ticket (with `Idempotency-Key`: replay with
 * `x-idempotency-lookup: hit`, 400 `IdempotentRequestError` on another body), show / list by
 * external_id, update with public or internal comments and tags (`tags` replaces, `additional_tags`
 * / `remove_tags` edit), comments listing. Auth: Basic `{email}/token:{api_token}`. Errors use
 * Zendesk's `{error, description, details}` envelope. Every path also answers with the `.json`
 * suffix Zendesk documents (`POST /api/v2/tickets.json`, what node-zendesk sends). Lists page as
 * Zendesk documents: offset (`page`, `per_page`, `next_page`; 100 a page by default) or cursor
 * (`page[size]` up to 100, `page[after]`; `meta.has_more`, `meta.after_cursor`, `links.next`).
 * A test may make the next update of a ticket collide with another agent's (409). End users
 * (`GET /users/:id`) and organizations (`GET /organizations/:id`, external_id = account id) answer
 * who a ticket belongs to: seed ticket 9001 is Acme's (billing@acme.example, organization ACME-001).
 */
import express, { type Request, type Response } from 'express';
import type { SandboxSystem } from '../core';
import { SANDBOX_CREDENTIALS, bodyHash } from '../support';

type Json = Record<string, unknown>;
interface Comment {
  id: number;
  type: 'Comment';
  author_id: number;
  body: string;
  html_body: string;
  public: boolean;
  created_at: string;
}
interface Ticket {
  id: number;
  url: string;
  external_id: string | null;
  subject: string;
  description: string;
  status: string;
  priority: string | null;
  type: string | null;
  tags: string[];
  requester_id: number;
  requester_email: string | null;
  /** The agent the ticket is assigned to (set by `assignee_id` or the write-only `assignee_email`). */
  assignee_id: number | null;
  organization_id: number | null;
  custom_fields: { id: number; value: unknown }[];
  created_at: string;
  updated_at: string;
  comments: Comment[];
}

const AGENT_ID = 360000001;
/** The Zendesk agents of the sandbox's account: the Slack workspace's people, by the same emails. */
const AGENTS: { id: number; name: string; email: string }[] = [
  { id: AGENT_ID, name: 'Billing Agent (API)', email: 'billing-bot@ourco.example' },
  { id: 360000011, name: 'Dana Finance', email: 'dana.finance@ourco.example' },
  { id: 360000012, name: 'Sam Ledger', email: 'sam.ledger@ourco.example' },
  { id: 360000013, name: 'Casey CFO', email: 'casey.cfo@ourco.example' },
  { id: 360000014, name: 'Alex Agent', email: 'alex.agent@ourco.example' },
  { id: 360000015, name: 'Olivia Owner', email: 'olivia.owner@ourco.example' },
  { id: 360000016, name: 'Omar Owner', email: 'omar.owner@ourco.example' },
];
/** Seed organizations (external_id = the account id on file) and the end users that belong to them. */
const ORGANIZATIONS = [
  { id: 361000001, name: 'Acme Corp', external_id: 'ACME-001' },
  { id: 361000002, name: 'Globex', external_id: 'GLOBEX-002' },
];
const ORG_OF_EMAIL: Record<string, number> = { 'billing@acme.example': 361000001, 'ap@globex.example': 361000002 };
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];

function zdError(
  res: Response,
  status: number,
  error: string,
  description: string,
  details?: Record<string, { description: string; error?: string }[]>,
) {
  res.status(status).json({ error, description, ...(details ? { details } : {}) });
}

/** Cursor and offset paging of a list, as Zendesk documents them (cursor = opaque; here base64 of an index). */
function paged<T>(req: Request, items: T[], key: string): Record<string, unknown> | string {
  const q = req.query as Record<string, unknown>;
  const pageObj = typeof q.page === 'object' && q.page ? (q.page as Record<string, string>) : {};
  const size = q['page[size]'] ?? pageObj.size;
  const url = `${req.protocol}://${req.get('host')}${req.baseUrl}${req.path}`;
  if (size !== undefined) {
    const n = Number(size);
    if (!Number.isInteger(n) || n < 1 || n > 100) return 'page[size] must be between 1 and 100';
    const after = String(q['page[after]'] ?? pageObj.after ?? '');
    const start = after ? Number(Buffer.from(after, 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) return 'invalid cursor';
    const page = items.slice(start, start + n);
    const more = start + n < items.length;
    const cursor = (i: number) => Buffer.from(String(i)).toString('base64url');
    return {
      [key]: page,
      meta: {
        has_more: more,
        after_cursor: more ? cursor(start + n) : null,
        before_cursor: start > 0 ? cursor(Math.max(0, start - n)) : null,
      },
      links: { next: more ? `${url}?page[size]=${n}&page[after]=${cursor(start + n)}` : null, prev: null },
    };
  }
  const perPage = Math.min(Number(q.per_page ?? 100) || 100, 100);
  const pageNo = Math.max(Number(typeof q.page === 'string' ? q.page : 1) || 1, 1);
  const page = items.slice((pageNo - 1) * perPage, pageNo * perPage);
  const more = pageNo * perPage < items.length;
  return {
    [key]: page,
    count: items.length,
    next_page: more ? `${url}?page=${pageNo + 1}&per_page=${perPage}` : null,
    previous_page: pageNo > 1 ? `${url}?page=${pageNo - 1}&per_page=${perPage}` : null,
  };
}

export function createZendeskSystem(): SandboxSystem {
  let tickets = new Map<number, Ticket>();
  /** ticket id -> a concurrent agent update to apply (and answer 409) on our next PUT. */
  let conflicts = new Map<number, number>();
  let keys = new Map<string, { hash: string; status: number; body: unknown; at: number }>();
  let nextTicket = 9001;
  let nextComment = 1;
  let requesters = new Map<string, number>();
  const base = (req: Request) => `${req.protocol}://${req.get('host')}${req.baseUrl}`;
  const requesterId = (email: string) => {
    if (!requesters.has(email)) requesters.set(email, 370000000 + requesters.size + 1);
    return requesters.get(email)!;
  };
  const addComment = (t: Ticket, body: string, isPublic: boolean) => {
    t.comments.push({
      id: nextComment++,
      type: 'Comment',
      author_id: AGENT_ID,
      body,
      html_body: `<p>${body}</p>`,
      public: isPublic,
      created_at: now(),
    });
  };
  const reset = () => {
    tickets = new Map();
    keys = new Map();
    conflicts = new Map();
    requesters = new Map();
    nextComment = 1;
    nextTicket = 9001;
    const t: Ticket = {
      id: nextTicket++,
      url: '',
      external_id: null,
      subject: 'Invoice question',
      description: 'Seed ticket',
      status: 'open',
      priority: 'normal',
      type: 'question',
      tags: ['billing'],
      requester_id: requesterId('billing@acme.example'),
      requester_email: 'billing@acme.example',
      assignee_id: null,
      organization_id: ORG_OF_EMAIL['billing@acme.example'],
      custom_fields: [],
      created_at: '2026-10-01T09:00:00Z',
      updated_at: '2026-10-01T09:00:00Z',
      comments: [],
    };
    addComment(t, 'Seed ticket', true);
    tickets.set(t.id, t);
  };
  reset();

  const view = (req: Request, t: Ticket) => {
    const { comments: _c, requester_email: _e, ...rest } = t;
    return { ...rest, url: `${base(req)}/api/v2/tickets/${t.id}.json` };
  };

  const router = () => {
    const r = express.Router();
    r.use((req, res, next) => {
      const h = req.headers.authorization ?? '';
      const expected = `Basic ${Buffer.from(`${SANDBOX_CREDENTIALS.zendeskEmail}/token:${SANDBOX_CREDENTIALS.zendeskToken}`).toString('base64')}`;
      if (h !== expected) return zdError(res, 401, "Couldn't authenticate you", "Couldn't authenticate you");
      next();
    });

    r.post('/api/v2/tickets{.json}', (req, res) => {
      const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
      const hash = bodyHash(req.body);
      if (key) {
        const seen = keys.get(key);
        if (seen && Date.now() - seen.at < 2 * 3600_000) {
          if (seen.hash !== hash)
            return zdError(res, 400, 'IdempotentRequestError', "Request parameters don't match the given idempotency key");
          res.status(seen.status).set('x-idempotency-lookup', 'hit').json(seen.body);
          return;
        }
        res.set('x-idempotency-lookup', 'miss');
      }
      const tk = ((req.body ?? {}) as { ticket?: Json }).ticket;
      if (!tk || typeof tk !== 'object') return zdError(res, 400, 'InvalidEndpoint', 'Parameter ticket is required');
      const details: Record<string, { description: string; error?: string }[]> = {};
      const comment = (tk.comment ?? {}) as { body?: string; html_body?: string; public?: boolean };
      if (!comment.body && !comment.html_body) details.base = [{ description: 'Description: cannot be blank', error: 'BlankValue' }];
      const requester = (tk.requester ?? {}) as { email?: string; name?: string };
      if (requester.email !== undefined && !EMAIL.test(requester.email))
        details.requester = [{ description: `Requester: Email ${'is invalid'}`, error: 'InvalidValue' }];
      if (tk.priority !== undefined && !PRIORITIES.includes(String(tk.priority)))
        details.priority = [{ description: 'Priority: is not valid', error: 'InvalidValue' }];
      if (Object.keys(details).length) return zdError(res, 422, 'RecordInvalid', 'Record validation errors', details);
      const email = requester.email ?? null;
      const t: Ticket = {
        id: nextTicket++,
        url: '',
        external_id: typeof tk.external_id === 'string' ? tk.external_id : null,
        subject: String(tk.subject ?? (comment.body ?? '').slice(0, 50)),
        description: String(comment.body ?? comment.html_body),
        status: STATUSES.includes(String(tk.status)) ? String(tk.status) : 'new',
        priority: tk.priority ? String(tk.priority) : null,
        type: tk.type ? String(tk.type) : null,
        tags: Array.isArray(tk.tags) ? [...new Set((tk.tags as unknown[]).map(String))] : [],
        requester_id: email ? requesterId(email) : AGENT_ID,
        requester_email: email,
        assignee_id: null,
        organization_id: email ? (ORG_OF_EMAIL[email.toLowerCase()] ?? null) : null,
        custom_fields: Array.isArray(tk.custom_fields) ? (tk.custom_fields as { id: number; value: unknown }[]) : [],
        created_at: now(),
        updated_at: now(),
        comments: [],
      };
      addComment(t, String(comment.body ?? comment.html_body), comment.public !== false);
      tickets.set(t.id, t);
      const body = {
        ticket: view(req, t),
        audit: { id: Date.now(), ticket_id: t.id, created_at: t.created_at, author_id: AGENT_ID, events: [{ type: 'Create' }] },
      };
      if (key) keys.set(key, { hash, status: 201, body, at: Date.now() });
      res
        .status(201)
        .set('Location', `${base(req)}/api/v2/tickets/${t.id}.json`)
        .json(body);
    });

    r.get('/api/v2/tickets{.json}', (req, res) => {
      const ext = typeof req.query.external_id === 'string' ? req.query.external_id : undefined;
      const list = [...tickets.values()].filter((t) => !ext || t.external_id === ext);
      const body = paged(
        req,
        list.map((t) => view(req, t)),
        'tickets',
      );
      if (typeof body === 'string') return zdError(res, 400, 'InvalidPaginationParameter', body);
      res.json(body);
    });

    const find = (req: Request, res: Response): Ticket | undefined => {
      const t = tickets.get(Number(req.params.id));
      if (!t) zdError(res, 404, 'RecordNotFound', 'Not found');
      return t;
    };
    r.get('/api/v2/tickets/:id/comments{.json}', (req, res) => {
      const t = find(req, res);
      if (!t) return;
      const body = paged(req, t.comments, 'comments');
      if (typeof body === 'string') return zdError(res, 400, 'InvalidPaginationParameter', body);
      res.json(body);
    });
    // End users (a ticket's requester) and organizations: what an ownership check reads.
    // One users endpoint, as Zendesk has: agents (the API user and the finance people) and end users.
    r.get('/api/v2/users/:id{.json}', (req, res) => {
      const id = Number(req.params.id);
      if (id === AGENT_ID)
        return void res.json({ user: { id, email: SANDBOX_CREDENTIALS.zendeskEmail, role: 'agent', organization_id: null } });
      const a = AGENTS.find((x) => x.id === id);
      if (a)
        return void res.json({
          user: {
            id: a.id,
            name: a.name,
            email: a.email,
            role: 'agent',
            organization_id: null,
            url: `${base(req)}/api/v2/users/${a.id}.json`,
          },
        });
      const email = [...requesters].find(([, v]) => v === id)?.[0];
      if (!email) return zdError(res, 404, 'RecordNotFound', 'Not found');
      res.json({ user: { id, email, role: 'end-user', organization_id: ORG_OF_EMAIL[email.toLowerCase()] ?? null } });
    });
    r.get('/api/v2/organizations/:id{.json}', (req, res) => {
      const org = ORGANIZATIONS.find((o) => o.id === Number(req.params.id));
      if (!org) return zdError(res, 404, 'RecordNotFound', 'Not found');
      res.json({ organization: org });
    });
    r.get('/api/v2/tickets/:id{.json}', (req, res) => {
      const t = find(req, res);
      if (t) res.json({ ticket: view(req, t) });
    });
    r.put('/api/v2/tickets/:id{.json}', (req, res) => {
      const t = find(req, res);
      if (!t) return;
      if (conflicts.has(t.id)) {
        // Another agent's update lands first; ours is refused and must be re-read and retried.
        const n = conflicts.get(t.id)!;
        if (n <= 1) conflicts.delete(t.id);
        else conflicts.set(t.id, n - 1);
        addComment(t, 'Another agent replied meanwhile.', true);
        t.updated_at = new Date(Date.now() + 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        return zdError(
          res,
          409,
          'UpdateConflict',
          'The ticket was updated by another request while this one was processed. Please fetch the latest ticket data and try again.',
        );
      }
      const tk = ((req.body ?? {}) as { ticket?: Json }).ticket;
      if (!tk || typeof tk !== 'object') return zdError(res, 400, 'InvalidEndpoint', 'Parameter ticket is required');
      if (tk.status !== undefined && !STATUSES.includes(String(tk.status)))
        return zdError(res, 422, 'RecordInvalid', 'Record validation errors', {
          status: [{ description: 'Status: is not valid', error: 'InvalidValue' }],
        });
      if (tk.priority !== undefined && !PRIORITIES.includes(String(tk.priority)))
        return zdError(res, 422, 'RecordInvalid', 'Record validation errors', {
          priority: [{ description: 'Priority: is not valid', error: 'InvalidValue' }],
        });
      // Zendesk's write-only assignee_email names an agent by email; assignee_id by id. Anyone else is refused.
      let assignee: number | undefined;
      if (tk.assignee_email !== undefined || tk.assignee_id !== undefined) {
        const a = AGENTS.find((x) =>
          tk.assignee_email !== undefined ? x.email === String(tk.assignee_email).toLowerCase() : x.id === Number(tk.assignee_id),
        );
        if (!a)
          return zdError(res, 422, 'RecordInvalid', 'Record validation errors', {
            assignee: [{ description: 'Assignee: is not an agent of this account', error: 'InvalidValue' }],
          });
        assignee = a.id;
      }
      if (t.status === 'closed')
        return zdError(res, 422, 'RecordInvalid', 'Record validation errors', {
          status: [{ description: 'Status: closed prevents ticket update', error: 'ClosedPreventsUpdate' }],
        });
      if (tk.safe_update === true && tk.updated_stamp !== t.updated_at)
        return zdError(
          res,
          409,
          'UpdateConflict',
          'Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again.',
        );
      const comment = tk.comment as { body?: string; html_body?: string; public?: boolean } | undefined;
      if (comment && !comment.body && !comment.html_body)
        return zdError(res, 422, 'RecordInvalid', 'Record validation errors', {
          base: [{ description: 'Comment: cannot be blank', error: 'BlankValue' }],
        });
      if (comment) addComment(t, String(comment.body ?? comment.html_body), comment.public !== false);
      if (Array.isArray(tk.tags)) t.tags = [...new Set((tk.tags as unknown[]).map(String))];
      if (Array.isArray(tk.additional_tags)) t.tags = [...new Set([...t.tags, ...(tk.additional_tags as unknown[]).map(String)])];
      if (Array.isArray(tk.remove_tags)) t.tags = t.tags.filter((x) => !(tk.remove_tags as unknown[]).map(String).includes(x));
      if (tk.status) t.status = String(tk.status);
      if (assignee !== undefined) t.assignee_id = assignee;
      if (tk.priority) t.priority = String(tk.priority);
      t.updated_at = now();
      res.json({
        ticket: view(req, t),
        audit: {
          id: Date.now(),
          ticket_id: t.id,
          created_at: t.updated_at,
          author_id: AGENT_ID,
          events: comment ? [{ type: 'Comment', public: comment.public !== false }] : [],
        },
      });
    });
    return r;
  };

  return {
    name: 'zendesk',
    title: 'Zendesk',
    router,
    faultBody: (status) =>
      status === 429
        ? { error: 'APIRateLimitExceeded', description: 'Number of allowed API requests per minute exceeded' }
        : { error: 'ServiceUnavailable', description: 'Zendesk is temporarily unavailable' },
    reset,
    controlRouter() {
      const r = express.Router();
      r.get('/tickets', (_req, res) => res.json([...tickets.values()]));
      r.use(express.json());
      // Tests: the next `times` updates of a ticket collide with another agent's update (409).
      r.post('/tickets/:id/conflict', (req, res) => {
        const id = Number(req.params.id);
        if (!tickets.has(id)) return void res.status(404).json({ error: 'no such ticket' });
        conflicts.set(id, Number((req.body as { times?: number }).times ?? 1));
        res.json({ id, times: conflicts.get(id) });
      });
      // Tests: a long conversation (many comments by other agents).
      r.post('/tickets/:id/comments/bulk', (req, res) => {
        const t = tickets.get(Number(req.params.id));
        if (!t) return void res.status(404).json({ error: 'no such ticket' });
        const count = Number((req.body as { count?: number }).count ?? 0);
        for (let i = 0; i < count; i++) addComment(t, `Agent reply ${i + 1}`, i % 2 === 0);
        res.json({ comments: t.comments.length });
      });
      return r;
    },
  };
}
