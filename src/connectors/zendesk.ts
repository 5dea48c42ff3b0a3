/**
 * Zendesk Support client (our own, over the shared HTTP layer). `node-zendesk` was evaluated
 * (docs/connectors.md): it takes a remote URI, but has its own throttling/retry behaviour and
 * untyped results, and we use four endpoints. Ticket creation sends `Idempotency-Key` (Zendesk
 * replays the stored response for 2 h); comments carry a `[ref:<key>]` marker and are looked up
 * (every page, cursor-paged) before adding, because updates accept no key. A 409 (another update
 * of the same ticket won the race) is retryable: `addCommentOnce` re-reads and tries again.
 */
import type { ConnectorsConfig } from '../config/types';
import { HttpClient, type ErrorDescription } from './http';
import { TransientError, type ErrorKind } from './errors';

export interface ZendeskTicket {
  id: number;
  url: string;
  subject?: string;
  status: string;
  priority?: string | null;
  tags: string[];
  external_id?: string | null;
  requester_id?: number | null;
  organization_id?: number | null;
}

export interface ZendeskUser {
  id: number;
  email?: string | null;
  organization_id?: number | null;
}

export interface ZendeskOrganization {
  id: number;
  name?: string;
  external_id?: string | null;
}

export interface ZendeskComment {
  id: number;
  body: string;
  public: boolean;
  created_at: string;
}

export interface NewTicket {
  subject: string;
  comment: { body: string; public?: boolean };
  requester?: { email: string; name?: string };
  priority?: 'low' | 'normal' | 'high' | 'urgent';
  type?: 'problem' | 'incident' | 'question' | 'task';
  status?: 'new' | 'open' | 'pending';
  tags?: string[];
  external_id?: string;
}

export interface TicketUpdate {
  comment?: { body: string; public: boolean };
  status?: string;
  priority?: string;
  /** Write-only: the agent to assign the ticket to, by email (Zendesk resolves it to `assignee_id`). */
  assignee_email?: string;
  additional_tags?: string[];
  remove_tags?: string[];
}

const KIND_BY_ERROR: Record<string, ErrorKind> = {
  RecordInvalid: 'validation',
  RecordNotFound: 'not_found',
  IdempotentRequestError: 'business',
};

/** Comments per page (Zendesk's cursor-paging maximum). */
export const ZENDESK_PAGE_SIZE = 100;
/** Re-read-and-retry rounds in `addCommentOnce` before a 409 is left to Temporal's retry. */
const CONFLICT_ROUNDS = 3;

export function describeZendeskError(status: number, body: unknown): ErrorDescription {
  if (typeof body === 'string') return { message: body.slice(0, 200) };
  const b = (body ?? {}) as {
    error?: string | { title?: string; message?: string };
    description?: string;
    details?: Record<string, { description?: string }[]>;
  };
  const code = typeof b.error === 'string' ? b.error : b.error?.title;
  const fields = b.details ? ` (${Object.keys(b.details).join(', ')})` : '';
  // 409: a concurrent update of the same record; Zendesk says to retry. Not applied, so safe to.
  const kind = status === 409 ? 'unavailable' : code && status < 500 && status !== 429 ? KIND_BY_ERROR[code] : undefined;
  return {
    code: code ?? (status === 409 ? 'Conflict' : undefined),
    message: `${b.description ?? (typeof b.error === 'object' ? b.error?.message : undefined) ?? code ?? `HTTP ${status}`}${fields}`,
    kind,
  };
}

export class ZendeskClient {
  private readonly http: HttpClient;
  private readonly agentBase: string;
  constructor(cfg: ConnectorsConfig['zendesk'], opts: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    const basic = Buffer.from(`${cfg.email}/token:${cfg.token}`).toString('base64');
    this.agentBase = `${cfg.baseUrl}/agent/tickets`;
    this.http = new HttpClient({
      system: 'zendesk',
      baseUrl: `${cfg.baseUrl}/api/v2`,
      headers: () => ({ authorization: `Basic ${basic}` }),
      describeError: describeZendeskError,
      ...opts,
    });
  }

  /** The agent UI link for a ticket. */
  ticketUrl(id: number | string): string {
    return `${this.agentBase}/${id}`;
  }

  /** POST /tickets with `Idempotency-Key`: a repeat with the same key and body returns the same ticket. */
  async createTicket(ticket: NewTicket, idempotencyKey: string): Promise<{ ticket: ZendeskTicket; replayed: boolean }> {
    const res = await this.http.request<{ ticket: ZendeskTicket }>({
      method: 'POST',
      path: '/tickets.json',
      headers: { 'idempotency-key': idempotencyKey },
      body: { ticket },
    });
    return { ticket: res.body.ticket, replayed: res.headers.get('x-idempotency-lookup') === 'hit' };
  }

  /** Tickets with this external_id (our reconciliation lookup when an idempotency key has expired). */
  async findTicketsByExternalId(externalId: string): Promise<ZendeskTicket[]> {
    return (
      await this.http.request<{ tickets: ZendeskTicket[] }>({ method: 'GET', path: '/tickets.json', query: { external_id: externalId } })
    ).body.tickets;
  }

  async getTicket(id: number | string): Promise<ZendeskTicket> {
    return (await this.http.request<{ ticket: ZendeskTicket }>({ method: 'GET', path: `/tickets/${encodeURIComponent(String(id))}.json` }))
      .body.ticket;
  }

  async getUser(id: number | string): Promise<ZendeskUser> {
    return (await this.http.request<{ user: ZendeskUser }>({ method: 'GET', path: `/users/${encodeURIComponent(String(id))}.json` })).body
      .user;
  }

  async getOrganization(id: number | string): Promise<ZendeskOrganization> {
    return (
      await this.http.request<{ organization: ZendeskOrganization }>({
        method: 'GET',
        path: `/organizations/${encodeURIComponent(String(id))}.json`,
      })
    ).body.organization;
  }

  async updateTicket(id: number | string, update: TicketUpdate): Promise<ZendeskTicket> {
    return (
      await this.http.request<{ ticket: ZendeskTicket }>({
        method: 'PUT',
        path: `/tickets/${encodeURIComponent(String(id))}.json`,
        body: { ticket: update },
      })
    ).body.ticket;
  }

  /** Every comment of the ticket: cursor pages of 100 (`page[size]`, `page[after]`) until `meta.has_more` is false. */
  async listComments(id: number | string): Promise<ZendeskComment[]> {
    const all: ZendeskComment[] = [];
    let after: string | undefined;
    for (;;) {
      const res = await this.http.request<{ comments: ZendeskComment[]; meta?: { has_more?: boolean; after_cursor?: string | null } }>({
        method: 'GET',
        path: `/tickets/${encodeURIComponent(String(id))}/comments.json`,
        query: { 'page[size]': ZENDESK_PAGE_SIZE, 'page[after]': after },
      });
      all.push(...res.body.comments);
      after = res.body.meta?.has_more ? (res.body.meta.after_cursor ?? undefined) : undefined;
      if (!after) return all;
    }
  }

  /**
   * Adds a comment unless an earlier attempt already did. Internal notes carry `marker` (agents
   * only see it); a public comment is matched by its exact text instead, so customers never see a
   * reference token.
   */
  async addCommentOnce(id: number | string, comment: { body: string; public: boolean }, marker: string): Promise<{ added: boolean }> {
    const body = comment.public ? comment.body : `${comment.body}\n\n${marker}`;
    let conflict: TransientError | undefined;
    for (let round = 0; round < CONFLICT_ROUNDS; round++) {
      // Re-read every round: after a 409 the ticket changed, and an earlier attempt may have landed.
      const existing = await this.listComments(id);
      if (existing.some((c) => (comment.public ? c.public && c.body.trim() === body.trim() : c.body.includes(marker))))
        return { added: false };
      try {
        await this.updateTicket(id, { comment: { ...comment, body } });
        return { added: true };
      } catch (err) {
        if (!(err instanceof TransientError && err.status === 409)) throw err;
        conflict = err;
        await new Promise((r) => setTimeout(r, 100 * (round + 1)));
      }
    }
    // Still colliding: Temporal's retry takes over (the error is retryable).
    throw conflict!;
  }
}
