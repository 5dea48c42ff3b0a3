/**
 * Zendesk business steps: open (or reuse) the customer-facing ticket with the billing note as an
 * internal note, and add comments. Ticket creation is exactly-once through `Idempotency-Key` plus
 * an `external_id` lookup (keys expire after 2 h); comments carry a `[ref:<key>]` marker and are
 * looked up before adding, because updates accept no key.
 */
import type { CaseActivities } from './contract';
import type { TicketRef } from '../domain/records';
import type { ZendeskClient } from '../connectors/zendesk';
import { NotFoundError, ValidationError } from '../connectors/errors';
import { zendeskText } from '../connectors/encoding';
import { log, stepKey } from './support';
import { attemptProgress } from './progress';

export interface ZendeskActivityDeps {
  zendesk: ZendeskClient;
  /** Signs what an attempt leaves the next one (src/proofs/attempt-progress.ts): the decision key. */
  progressKey: string;
  /** A Slack user's name and email (users.info): the ticket's assignee is the Zendesk agent with that email. */
  slackUser?: (userId: string) => Promise<{ realName?: string; name?: string; email?: string }>;
}

type ZendeskActivities = Pick<CaseActivities, 'openTicket' | 'addTicketNote' | 'settleTicket'>;

interface Assignment {
  /** The last note's closing line: who the ticket was left with. */
  line: string;
  assignee?: string;
}

/** What an openTicket attempt settled: the ticket (the caller's, or ours), and whether the caller's ticket has its public comment. */
interface OpenProgress {
  ticketId?: number;
  /** `ticketId` is the caller's own ticket (Zendesk said it is theirs). */
  callers?: boolean;
  refusedTicketId?: string;
  publicComments?: boolean;
  publicAdded?: boolean;
}

/** What a settleTicket attempt finished, for the next attempt (heartbeat details; no personal data beyond the agent's name). */
interface SettleProgress {
  commented?: boolean;
  assigned?: Assignment;
  noted?: boolean;
}

const marker = (key: string) => `[ref:${key}]`;

/** The first (internal) comment of a ticket with no verified email on file: why nothing on it is public. */
export const NO_VERIFIED_EMAIL_NOTE =
  'Internal only: there is no verified email on file for this account, so this ticket has no requester to write to and nothing on it is public. Reply to the customer through a verified channel.';

export function createZendeskActivities(deps: ZendeskActivityDeps): ZendeskActivities {
  const zd = deps.zendesk;

  /**
   * Whether ticket `id` belongs to the customer: its requester's email is one on file, or its
   * organization's external_id is the account id. A ticket Zendesk does not know is not theirs.
   */
  async function belongsTo(id: number, owner: { accountId?: string; emails: string[] } | undefined): Promise<boolean> {
    if (!owner) return false;
    let ticket;
    try {
      ticket = await zd.getTicket(id);
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
    const emails = new Set(owner.emails.map((e) => e.trim().toLowerCase()).filter(Boolean));
    if (ticket.requester_id && emails.size > 0) {
      const requester = await zd.getUser(ticket.requester_id).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      });
      if (requester?.email && emails.has(requester.email.trim().toLowerCase())) return true;
    }
    if (ticket.organization_id && owner.accountId) {
      const org = await zd.getOrganization(ticket.organization_id).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      });
      if (org?.external_id && org.external_id === owner.accountId) return true;
    }
    return false;
  }

  /**
   * Assigns the ticket to the Zendesk agent with the Slack user's email; the line the ticket's last
   * note ends with. An assignee Zendesk refuses (not an agent) must not cost the note or the status.
   */
  async function assign(ticketId: string, status: string, slackUserId: string | undefined, step: string): Promise<Assignment> {
    const user = slackUserId && deps.slackUser ? await deps.slackUser(slackUserId) : undefined;
    const name = user?.realName || user?.name;
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
      : `Ticket left ${status}, unassigned${slackUserId ? ` (${name ?? 'the owner'} is not a Zendesk agent)` : ''}.`;
    return { line, ...(assignee ? { assignee } : {}) };
  }

  return {
    async openTicket(input): Promise<TicketRef> {
      const { step, subject, publicComment, internalNote, priority, requesterEmail, existingTicketId, owner, tags } = input;
      if (!subject?.trim() || !publicComment?.trim())
        throw new ValidationError({ system: 'zendesk' }, 'subject and publicComment are required');
      // A retry resumes after what an earlier attempt finished (signed heartbeat details, as
      // settleTicket): the ticket it chose after the ownership check or created, and whether its
      // comments landed. Details this worker did not sign for this input are ignored.
      const progress = attemptProgress<OpenProgress>(deps.progressKey, input);
      const done = progress.done;
      const remember = progress.save;
      let ticketId: number | undefined = done.ticketId;
      let refusedTicketId: string | undefined = done.refusedTicketId;
      let publicComments = done.publicComments ?? true;
      if (existingTicketId && ticketId === undefined && refusedTicketId === undefined) {
        if (!/^\d+$/.test(existingTicketId)) throw new ValidationError({ system: 'zendesk' }, 'existingTicketId must be numeric');
        // A ticket the caller named is written to only when Zendesk says it is this customer's: a
        // public comment there is mailed to that ticket's requester, who may be another customer.
        if (await belongsTo(Number(existingTicketId), owner)) {
          ticketId = done.ticketId = Number(existingTicketId);
          done.callers = true;
          remember();
        } else {
          refusedTicketId = done.refusedTicketId = existingTicketId;
          remember();
          log("zendesk ticket named by the caller is not the customer's; opening our own", { step });
        }
      }
      if (done.callers && ticketId !== undefined && !done.publicAdded) {
        await zd.addCommentOnce(ticketId, { body: zendeskText(publicComment), public: true }, marker(stepKey('zendesk', `${step}#public`)));
        if (tags?.length) await zd.updateTicket(ticketId, { additional_tags: tags });
        done.publicAdded = true;
        remember();
      }
      if (ticketId === undefined) {
        const key = stepKey('zendesk', step, 40);
        const externalId = `case-${key}`;
        // No verified email on file: no requester, and the first comment is internal (Zendesk mails
        // public comments to the requester; the caller's spoken address is not verified).
        publicComments = Boolean(requesterEmail);
        const found = (await zd.findTicketsByExternalId(externalId))[0];
        if (found) ticketId = found.id;
        else {
          const created = await zd.createTicket(
            {
              subject: zendeskText(subject, 150),
              comment: publicComments
                ? { body: zendeskText(publicComment), public: true }
                : { body: `${NO_VERIFIED_EMAIL_NOTE}\n\n${zendeskText(publicComment)}`, public: false },
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
        Object.assign(done, { ticketId, publicComments });
        remember();
      }
      await zd.addCommentOnce(ticketId, { body: zendeskText(internalNote), public: false }, marker(stepKey('zendesk', `${step}#internal`)));
      return {
        system: 'zendesk',
        object: 'ticket',
        id: String(ticketId),
        url: zd.ticketUrl(ticketId),
        ...(publicComments ? {} : { publicComments: false }),
        ...(refusedTicketId ? { refusedTicketId } : {}),
      };
    },

    async settleTicket(input) {
      const { step, ticketId, status, note, assigneeSlackUserId, comment } = input;
      if (!/^\d+$/.test(ticketId)) throw new ValidationError({ system: 'zendesk' }, 'ticketId must be numeric');
      // Up to seven requests in four steps. A retry resumes after the steps an earlier attempt
      // finished (the heartbeat details; Temporal keeps the last ones with a failure): through an
      // API failing one request in five, a retry that redid them all rarely got through (issue 7).
      // Each step is idempotent anyway, so details lost with a crashed worker only cost requests.
      const progress = attemptProgress<SettleProgress>(deps.progressKey, input);
      const done = progress.done;
      const remember = progress.save;
      // The comment the case kept for its last word first, under its own step's key: a retry after
      // it landed finds it and does not write it twice (as addTicketNote with that step).
      if (comment?.body.trim() && !done.commented) {
        await zd.addCommentOnce(
          ticketId,
          { body: zendeskText(comment.body), public: comment.public },
          marker(stepKey('zendesk', comment.step)),
        );
        done.commented = true;
        remember();
      }
      if (!done.assigned) {
        done.assigned = await assign(ticketId, status, assigneeSlackUserId, step);
        remember();
      }
      const { line, assignee } = done.assigned;
      let added = false;
      if (!done.noted) {
        ({ added } = await zd.addCommentOnce(
          ticketId,
          { body: zendeskText(`${note}\n${line}`), public: false },
          marker(stepKey('zendesk', step)),
        ));
        done.noted = true;
        remember();
      }
      await zd.updateTicket(ticketId, { status });
      log('zendesk ticket settled', { ticketId, status, assigned: Boolean(assignee), added, step });
      return { ticketId, status, ...(assignee ? { assignee } : {}) };
    },

    async addTicketNote({ step, ticketId, body, public: isPublic }) {
      if (!/^\d+$/.test(ticketId)) throw new ValidationError({ system: 'zendesk' }, 'ticketId must be numeric');
      if (!body?.trim()) throw new ValidationError({ system: 'zendesk' }, 'body is required');
      const { added } = await zd.addCommentOnce(ticketId, { body: zendeskText(body), public: isPublic }, marker(stepKey('zendesk', step)));
      log('zendesk comment', { ticketId, added, public: isPublic, step });
      return { ticketId };
    },
  };
}
