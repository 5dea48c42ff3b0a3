/**
 * Zendesk business steps: open (or reuse) the customer-facing ticket with the billing note as an
 * internal note, and add comments. Ticket creation is exactly-once through `Idempotency-Key` plus
 * an `external_id` lookup (keys expire after 2 h); comments carry a `[ref:<key>]` marker and are
 * looked up before adding, because updates accept no key.
 */
import type { CaseActivities, TicketRef } from './contract';
import type { ZendeskClient } from '../connectors/zendesk';
import { ValidationError } from '../connectors/errors';
import { log, stepKey } from './support';

export interface ZendeskActivityDeps {
  zendesk: ZendeskClient;
  /** A Slack user's name and email (users.info): the ticket's assignee is the Zendesk agent with that email. */
  slackUser?: (userId: string) => Promise<{ realName?: string; name?: string; email?: string }>;
}

type ZendeskActivities = Pick<CaseActivities, 'openTicket' | 'addTicketNote' | 'settleTicket'>;

const marker = (key: string) => `[ref:${key}]`;

export function createZendeskActivities(deps: ZendeskActivityDeps): ZendeskActivities {
  const zd = deps.zendesk;

  return {
    async openTicket({ step, subject, publicComment, internalNote, priority, requesterEmail, existingTicketId, tags }): Promise<TicketRef> {
      if (!subject?.trim() || !publicComment?.trim())
        throw new ValidationError({ system: 'zendesk' }, 'subject and publicComment are required');
      let ticketId: number;
      if (existingTicketId) {
        if (!/^\d+$/.test(existingTicketId)) throw new ValidationError({ system: 'zendesk' }, 'existingTicketId must be numeric');
        ticketId = Number(existingTicketId);
        await zd.addCommentOnce(ticketId, { body: publicComment, public: true }, marker(stepKey('zendesk', `${step}#public`)));
        if (tags?.length) await zd.updateTicket(ticketId, { additional_tags: tags });
      } else {
        const key = stepKey('zendesk', step, 40);
        const externalId = `case-${key}`;
        const found = (await zd.findTicketsByExternalId(externalId))[0];
        if (found) ticketId = found.id;
        else {
          const created = await zd.createTicket(
            {
              subject,
              comment: { body: publicComment, public: true },
              priority,
              external_id: externalId,
              ...(requesterEmail ? { requester: { email: requesterEmail } } : {}),
              ...(tags?.length ? { tags } : {}),
            },
            key,
          );
          ticketId = created.ticket.id;
          log('zendesk ticket', { ticketId, replayed: created.replayed, step });
        }
      }
      await zd.addCommentOnce(ticketId, { body: internalNote, public: false }, marker(stepKey('zendesk', `${step}#internal`)));
      return { system: 'zendesk', object: 'ticket', id: String(ticketId), url: zd.ticketUrl(ticketId) };
    },

    async settleTicket({ step, ticketId, status, note, assigneeSlackUserId }) {
      if (!/^\d+$/.test(ticketId)) throw new ValidationError({ system: 'zendesk' }, 'ticketId must be numeric');
      const user = assigneeSlackUserId && deps.slackUser ? await deps.slackUser(assigneeSlackUserId) : undefined;
      const name = user?.realName || user?.name;
      // Assign first: an assignee Zendesk refuses (not an agent) must not cost the note or the status.
      let assignee: string | undefined;
      if (user?.email) {
        try {
          await zd.updateTicket(ticketId, { assignee_email: user.email });
          assignee = name ?? 'the assigned agent';
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          log('zendesk assignee refused', { ticketId, step });
        }
      }
      const line = assignee
        ? `Ticket left ${status}, assigned to ${assignee}.`
        : `Ticket left ${status}, unassigned${assigneeSlackUserId ? ` (${name ?? 'the owner'} is not a Zendesk agent)` : ''}.`;
      const { added } = await zd.addCommentOnce(ticketId, { body: `${note}\n${line}`, public: false }, marker(stepKey('zendesk', step)));
      await zd.updateTicket(ticketId, { status });
      log('zendesk ticket settled', { ticketId, status, assigned: Boolean(assignee), added, step });
      return { ticketId, status, ...(assignee ? { assignee } : {}) };
    },

    async addTicketNote({ step, ticketId, body, public: isPublic }) {
      if (!/^\d+$/.test(ticketId)) throw new ValidationError({ system: 'zendesk' }, 'ticketId must be numeric');
      if (!body?.trim()) throw new ValidationError({ system: 'zendesk' }, 'body is required');
      const { added } = await zd.addCommentOnce(ticketId, { body, public: isPublic }, marker(stepKey('zendesk', step)));
      log('zendesk comment', { ticketId, added, public: isPublic, step });
      return { ticketId };
    },
  };
}
