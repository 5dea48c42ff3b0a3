/**
 * Gmail business step: an approved email to the customer, only to an email on file (the HubSpot
 * contact or the QuickBooks customer). Gmail has no idempotency key and does not keep our
 * Message-ID, so the email goes out as a draft that is sent once: the draft id rides in the
 * activity's heartbeat details, signed for this case, activity and input
 * (src/proofs/attempt-progress.ts; the next attempt sends that draft, or learns it was sent), and the
 * text carries a reference derived from the case and step that a Sent search finds.
 */
import { Context } from '@temporalio/activity';
import type { CaseActivities } from './contract';
import type { GmailClient } from '../connectors/gmail';
import type { HubSpotClient } from '../connectors/hubspot';
import type { QuickBooksClient, QboCustomer } from '../connectors/quickbooks';
import { UnverifiedRecipientError, ValidationError } from '../connectors/errors';
import { log, sameEmail, stepKey } from './support';
import { attemptProgress } from './progress';

export interface GmailActivityDeps {
  gmail: GmailClient;
  /** Signs what an attempt leaves the next one (src/proofs/attempt-progress.ts): the decision key. */
  progressKey: string;
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
    async sendCustomerEmail(input) {
      const { step, to, subject, body } = input;
      if (!to?.trim() || !subject?.trim() || !body?.trim())
        throw new ValidationError({ system: 'gmail' }, 'to, subject and body are required');
      const ctx = Context.current();
      // What an earlier attempt established: the recipient is on file (the same input, minutes
      // ago), and the draft it made. A retry through a faulty API then makes two requests, not six.
      // Signed for this case, activity and input: forged details (a draft id naming another draft,
      // "on file" for an address that is not) are ignored (src/proofs/attempt-progress.ts).
      const progress = attemptProgress<EmailProgress>(deps.progressKey, input);
      const kept = progress.done;
      if (!kept.onFile) {
        if (!(await onFile(to.trim()))) throw new UnverifiedRecipientError({ system: 'gmail' }, 'recipient is not an email on file');
        kept.onFile = true;
        progress.save();
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
          onDraft: (draftId) => {
            kept.draftId = draftId;
            progress.save();
          },
          awaitSentIndex: ctx.info.attempt < SENT_INDEX_ATTEMPTS,
        },
      );
      log('customer email', { messageId: sent.id, alreadySent: sent.alreadySent, step });
      return { system: 'gmail', object: 'message', id: sent.id };
    },
  };
}
