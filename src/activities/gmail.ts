/**
 * Gmail business step: an approved email to the customer, only to an email on file (the HubSpot
 * contact or the QuickBooks customer). Gmail has no idempotency key and does not keep our
 * Message-ID, so the email goes out as a draft that is sent once: the draft id rides in the
 * activity's heartbeat details (the next attempt sends that draft, or learns it was sent), and the
 * text carries a reference derived from the case and step that a Sent search finds.
 */
import { Context } from '@temporalio/activity';
import type { CaseActivities } from './contract';
import type { GmailClient } from '../connectors/gmail';
import type { HubSpotClient } from '../connectors/hubspot';
import type { QuickBooksClient, QboCustomer } from '../connectors/quickbooks';
import { UnverifiedRecipientError, ValidationError } from '../connectors/errors';
import { log, sameEmail, stepKey } from './support';

export interface GmailActivityDeps {
  gmail: GmailClient;
  /** Sources of "emails on file"; at least one is needed for anything to be sent. */
  hubspot?: HubSpotClient;
  quickbooks?: QuickBooksClient;
}

type GmailActivities = Pick<CaseActivities, 'sendCustomerEmail'>;

/** What a sendCustomerEmail attempt leaves the next one (heartbeat details). */
interface EmailProgress {
  onFile?: boolean;
  draftId?: string;
}

/** Attempts during which a vanished draft that Sent does not show yet is retried, not escalated. */
const SENT_INDEX_ATTEMPTS = 4;

export function createGmailActivities(deps: GmailActivityDeps): GmailActivities {
  async function onFile(to: string): Promise<boolean> {
    if (deps.hubspot && sameEmail((await deps.hubspot.findContactBy('email', to))?.properties.email ?? undefined, to)) return true;
    if (deps.quickbooks) {
      const customers = await deps.quickbooks.query<QboCustomer>('Customer', { PrimaryEmailAddr: to }, 1);
      if (customers.some((c) => sameEmail(c.PrimaryEmailAddr?.Address, to))) return true;
    }
    return false;
  }

  return {
    async sendCustomerEmail({ step, to, subject, body }) {
      if (!to?.trim() || !subject?.trim() || !body?.trim())
        throw new ValidationError({ system: 'gmail' }, 'to, subject and body are required');
      const ctx = Context.current();
      // What an earlier attempt established: the recipient is on file (the same input, minutes
      // ago), and the draft it made. A retry through a faulty API then makes two requests, not six.
      const kept: EmailProgress = { ...((ctx.info.heartbeatDetails as EmailProgress | undefined) ?? {}) };
      if (!kept.onFile) {
        if (!(await onFile(to.trim()))) throw new UnverifiedRecipientError({ system: 'gmail' }, 'recipient is not an email on file');
        kept.onFile = true;
        ctx.heartbeat(kept);
      }
      const domain = deps.gmail.sender.split('@')[1] ?? 'localhost';
      const messageId = `${stepKey('gmail', step, 32)}@${domain}`;
      const reference = `DN-${stepKey('gmail', step, 20)}`;
      const sent = await deps.gmail.sendOnce(
        { to: to.trim(), subject, text: body, messageId },
        // A few attempts give Gmail's search time to show a just-sent message before a person is asked.
        {
          reference,
          ...(kept?.draftId ? { draftId: kept.draftId } : {}),
          onDraft: (draftId) => ctx.heartbeat({ ...kept, draftId }),
          awaitSentIndex: ctx.info.attempt < SENT_INDEX_ATTEMPTS,
        },
      );
      log('customer email', { messageId: sent.id, alreadySent: sent.alreadySent, step });
      return { system: 'gmail', object: 'message', id: sent.id };
    },
  };
}
