/**
 * HubSpot business steps: the account's contact, its owner (with the Slack user to mention), its
 * deals; notes and owner tasks. HubSpot has no idempotency keys, so writes carry a `[ref:<key>]`
 * marker and a retry looks for it before writing.
 */
import { fromHubSpotTimeZone } from '../policy/dates';
import type { CaseActivities } from './contract';
import type { ContactSummary, DealSummary, OwnerSummary } from '../domain/records';
import type { RecordRef } from '../domain/case-state';
import { HUBSPOT_ASSOCIATION, type HubSpotClient, type HubSpotObject } from '../connectors/hubspot';
import { NotFoundError, ValidationError } from '../connectors/errors';
import { log, stepKey, toMinor } from './support';

export interface HubSpotActivityDeps {
  hubspot: HubSpotClient;
  /** Slack user id for an owner's email (Slack's users.lookupByEmail); optional. */
  lookupSlackUserId?: (email: string) => Promise<string | undefined>;
}

type HubSpotActivities = Pick<CaseActivities, 'findContact' | 'getOwner' | 'getDeals' | 'addCrmNote' | 'createOwnerTask'>;

export function createHubSpotActivities(deps: HubSpotActivityDeps): HubSpotActivities {
  const hs = deps.hubspot;

  const contactSummary = (c: HubSpotObject): ContactSummary => {
    const p = c.properties;
    return {
      id: c.id,
      ...(p.email ? { email: p.email } : {}),
      ...(p.hubspot_owner_id ? { ownerId: p.hubspot_owner_id } : {}),
      ...(p.customer_tier ? { tier: p.customer_tier } : {}),
      ...(p.payment_platform ? { paymentPlatform: p.payment_platform } : {}),
      ...(fromHubSpotTimeZone(p.hs_timezone ?? undefined) ? { timeZone: fromHubSpotTimeZone(p.hs_timezone ?? undefined) } : {}),
      url: hs.recordUrl('contact', c.id),
    };
  };

  /** Writes a note/task once per (case, step): the marker finds an earlier attempt's write. */
  async function writeOnce(
    type: 'notes' | 'tasks',
    step: string,
    properties: Record<string, string>,
    bodyProp: string,
    associations: { id: string; typeId: number }[],
  ): Promise<RecordRef> {
    const key = stepKey('hubspot', step, 24);
    const existing = await hs.findEngagementByMarker(type, key);
    const object = type === 'notes' ? 'note' : 'task';
    if (existing) return { system: 'hubspot', object, id: existing.id };
    const created = await hs.createEngagement(type, { ...properties, [bodyProp]: `${properties[bodyProp]}\n\n[ref:${key}]` }, associations);
    log(`hubspot ${object} created`, { id: created.id, step });
    return { system: 'hubspot', object, id: created.id };
  }

  return {
    async findContact({ accountId }) {
      if (!accountId?.trim()) throw new ValidationError({ system: 'hubspot' }, 'accountId is required');
      const c = await hs.findContactBy('account_id', accountId.trim());
      return c ? contactSummary(c) : null;
    },

    async getOwner({ ownerId }): Promise<OwnerSummary | null> {
      let owner;
      try {
        owner = await hs.getOwner(ownerId);
      } catch (err) {
        if (err instanceof NotFoundError) return null;
        throw err;
      }
      const slackUserId = owner.email && deps.lookupSlackUserId ? await deps.lookupSlackUserId(owner.email) : undefined;
      const name = [owner.firstName, owner.lastName].filter(Boolean).join(' ');
      return { id: owner.id, ...(slackUserId ? { slackUserId } : {}), ...(name ? { name } : {}) };
    },

    async getDeals({ contactId }): Promise<DealSummary[]> {
      const deals = await hs.readDeals(await hs.getContactDealIds(contactId));
      return deals
        .map((d) => {
          const p = d.properties;
          return {
            id: d.id,
            name: p.dealname ?? `Deal ${d.id}`,
            ...(p.dealstage ? { stage: p.dealstage } : {}),
            ...(p.amount
              ? {
                  amount: {
                    amountMinor: toMinor(p.amount, p.deal_currency_code ?? 'USD', 'hubspot'),
                    currency: p.deal_currency_code ?? 'USD',
                  },
                }
              : {}),
            ...(p.closedate ? { closeDate: p.closedate.slice(0, 10) } : {}),
            url: hs.recordUrl('deal', d.id),
          };
        })
        .sort((a, b) => (b.closeDate ?? '').localeCompare(a.closeDate ?? ''));
    },

    async addCrmNote({ step, contactId, dealId, body }) {
      if (!body?.trim()) throw new ValidationError({ system: 'hubspot' }, 'note body is required');
      const associations = [
        { id: contactId, typeId: HUBSPOT_ASSOCIATION.noteToContact },
        ...(dealId ? [{ id: dealId, typeId: HUBSPOT_ASSOCIATION.noteToDeal }] : []),
      ];
      return writeOnce('notes', step, { hs_timestamp: new Date().toISOString(), hs_note_body: body }, 'hs_note_body', associations);
    },

    async createOwnerTask({ step, ownerId, contactId, subject, body, dueAt }) {
      if (Number.isNaN(Date.parse(dueAt))) throw new ValidationError({ system: 'hubspot' }, 'dueAt must be an ISO timestamp');
      const props = {
        hs_timestamp: new Date(dueAt).toISOString(),
        hs_task_subject: subject,
        hs_task_body: body,
        hs_task_status: 'NOT_STARTED',
        hs_task_priority: 'HIGH',
        hubspot_owner_id: ownerId,
      };
      return writeOnce(
        'tasks',
        step,
        props,
        'hs_task_body',
        contactId ? [{ id: contactId, typeId: HUBSPOT_ASSOCIATION.taskToContact }] : [],
      );
    },
  };
}
