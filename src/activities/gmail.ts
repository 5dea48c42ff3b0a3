/**
 * Gmail business step: an approved email to the customer, only to an email on file (the HubSpot
 * contact or the QuickBooks customer). Gmail has no idempotency key: the message carries our own
 * Message-ID derived from the case and step, and a Sent search runs before sending, so a retry
 * whose first response was lost sends nothing twice.
 */
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
      if (!to?.trim() || !subject?.trim() || !body?.trim()) throw new ValidationError({ system: 'gmail' }, 'to, subject and body are required');
      if (!(await onFile(to.trim()))) throw new UnverifiedRecipientError({ system: 'gmail' }, 'recipient is not an email on file');
      const domain = deps.gmail.sender.split('@')[1] ?? 'localhost';
      const messageId = `${stepKey('gmail', step, 32)}@${domain}`;
      const sent = await deps.gmail.sendOnce({ to: to.trim(), subject, text: body, messageId });
      log('customer email', { messageId: sent.id, alreadySent: sent.alreadySent, step });
      return { system: 'gmail', object: 'message', id: sent.id };
    },
  };
}
