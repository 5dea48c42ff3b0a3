/**
 * HubSpot CRM client (our own, over the shared HTTP layer). `@hubspot/api-client` was evaluated
 * (docs/connectors.md): it can target a base URL and its retries default to off, but it wraps
 * every error in its own ApiException, pulls in a generated client per object type, and we use six
 * endpoints. The tests drive the sandbox with the official client to check the emulation.
 * HubSpot has no idempotency keys: writes carry a `[ref:<key>]` marker and are looked up first.
 */
import type { ConnectorsConfig } from '../config/types';
import { HttpClient, type ErrorDescription } from './http';
import type { ErrorKind } from './errors';

export interface HubSpotObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt?: string;
  updatedAt?: string;
  archived?: boolean;
}

export interface HubSpotOwner {
  id: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  userId?: number;
  archived?: boolean;
}

export interface SearchFilter {
  propertyName: string;
  operator: 'EQ' | 'NEQ' | 'CONTAINS_TOKEN' | 'HAS_PROPERTY' | 'NOT_HAS_PROPERTY';
  value?: string;
}

/** Association type ids (HUBSPOT_DEFINED). 202 note->contact is documented; VERIFY per portal. */
export const HUBSPOT_ASSOCIATION = { noteToContact: 202, noteToDeal: 214, taskToContact: 204, taskToDeal: 216 } as const;

export const CONTACT_PROPERTIES = [
  'email',
  'firstname',
  'lastname',
  'phone',
  'mobilephone',
  'hs_searchable_calculated_phone_number',
  'hs_searchable_calculated_mobile_number',
  'hubspot_owner_id',
  'account_id',
  'customer_tier',
  'payment_platform',
  'hs_timezone',
];

/**
 * HubSpot's digit-only copies of `phone` / `mobilephone` (country code dropped), which search can
 * match whatever spaces, dashes or brackets the number was typed with (docs/connectors.md).
 */
const SEARCHABLE_PHONES = ['hs_searchable_calculated_phone_number', 'hs_searchable_calculated_mobile_number'] as const;
/** Digits compared at the end of a number: enough to tell numbers apart, short of any country code. */
const PHONE_SUFFIX_DIGITS = 9;
export const DEAL_PROPERTIES = ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'hubspot_owner_id', 'deal_currency_code'];

const KIND_BY_CATEGORY: Record<string, ErrorKind> = {
  VALIDATION_ERROR: 'validation',
  OBJECT_NOT_FOUND: 'not_found',
  INVALID_AUTHENTICATION: 'auth',
  MISSING_SCOPES: 'auth',
  RATE_LIMITS: 'rate_limited',
  CONFLICT: 'business',
};

export function describeHubSpotError(status: number, body: unknown): ErrorDescription {
  const b = (body ?? {}) as { message?: string; category?: string; errorType?: string };
  if (b.errorType === 'RATE_LIMIT') return { code: 'RATE_LIMIT', message: b.message ?? 'rate limited', kind: 'rate_limited' };
  return {
    code: b.category,
    message: b.message ?? `HTTP ${status}`,
    kind: b.category && status < 500 ? KIND_BY_CATEGORY[b.category] : undefined,
  };
}

export class HubSpotClient {
  private readonly http: HttpClient;
  /** Undefined for the real HubSpot without HUBSPOT_PORTAL_ID: no link is better than a wrong one. */
  private readonly appBase?: string;
  constructor(cfg: ConnectorsConfig['hubspot'], opts: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.appBase = cfg.sandbox
      ? `${cfg.baseUrl}/app`
      : cfg.portalId
        ? `https://app.hubspot.com/contacts/${encodeURIComponent(cfg.portalId)}`
        : undefined;
    this.http = new HttpClient({
      system: 'hubspot',
      baseUrl: cfg.baseUrl,
      headers: () => ({ authorization: `Bearer ${cfg.token}` }),
      describeError: describeHubSpotError,
      ...opts,
    });
  }

  /** `app.hubspot.com/contacts/<portal>/record/<objectTypeId>/<id>`; undefined without a portal id. */
  recordUrl(type: 'contact' | 'deal', id: string): string | undefined {
    return this.appBase && `${this.appBase}/record/${type === 'contact' ? '0-1' : '0-3'}/${encodeURIComponent(id)}`;
  }

  /** CRM search: filters in one group are ANDed; pass several groups to OR them. */
  async search(
    objectType: 'contacts' | 'deals' | 'notes' | 'tasks',
    filterGroups: SearchFilter[][],
    properties: string[],
    limit = 10,
  ): Promise<HubSpotObject[]> {
    const res = await this.http.request<{ results: HubSpotObject[] }>({
      method: 'POST',
      path: `/crm/v3/objects/${objectType}/search`,
      body: { filterGroups: filterGroups.map((filters) => ({ filters })), properties, limit },
    });
    return res.body.results;
  }

  async findContactBy(property: 'email' | 'account_id', value: string): Promise<HubSpotObject | undefined> {
    return (await this.search('contacts', [[{ propertyName: property, operator: 'EQ', value }]], CONTACT_PROPERTIES, 1))[0];
  }

  /**
   * `phone` and `mobilephone` keep the number as typed (`+1 (415) 555-0101`), and search matches
   * whole tokens, so a digit search on them misses. HubSpot also keeps digit-only searchable copies
   * without the country code: match those exactly (national number) or by suffix (a caller number
   * whose country code we cannot split off), then confirm the digits here.
   */
  async findContactByPhone(phone: string): Promise<HubSpotObject | undefined> {
    const digits = phone.replace(/\D/g, '');
    if (digits.length < 7) return undefined;
    // A NANP number with its country code (+1 and 10 digits) has an exact national form.
    const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
    const suffix = digits.slice(-PHONE_SUFFIX_DIGITS);
    const groups: SearchFilter[][] = [
      ...SEARCHABLE_PHONES.map((p) => [{ propertyName: p, operator: 'EQ' as const, value: national }]),
      ...SEARCHABLE_PHONES.map((p) => [{ propertyName: p, operator: 'CONTAINS_TOKEN' as const, value: `*${suffix}` }]),
    ];
    const found = await this.search('contacts', groups, CONTACT_PROPERTIES, 10);
    const ends = (v: string | null | undefined) => !!v && v.replace(/\D/g, '').endsWith(suffix);
    return found.find(
      (c) => ends(c.properties.phone) || ends(c.properties.mobilephone) || SEARCHABLE_PHONES.some((p) => ends(c.properties[p])),
    );
  }

  async getOwner(ownerId: string): Promise<HubSpotOwner> {
    return (await this.http.request<HubSpotOwner>({ method: 'GET', path: `/crm/v3/owners/${encodeURIComponent(ownerId)}` })).body;
  }

  async getContactDealIds(contactId: string): Promise<string[]> {
    const res = await this.http.request<{ results: { toObjectId: number | string }[] }>({
      method: 'GET',
      path: `/crm/v4/objects/contacts/${encodeURIComponent(contactId)}/associations/deals`,
    });
    return res.body.results.map((r) => String(r.toObjectId));
  }

  async readDeals(ids: string[]): Promise<HubSpotObject[]> {
    if (ids.length === 0) return [];
    const res = await this.http.request<{ results: HubSpotObject[] }>({
      method: 'POST',
      path: '/crm/v3/objects/deals/batch/read',
      body: { inputs: ids.map((id) => ({ id })), properties: DEAL_PROPERTIES },
    });
    return res.body.results;
  }

  /** Creates a note or task with associations. */
  async createEngagement(
    type: 'notes' | 'tasks',
    properties: Record<string, string>,
    associations: { id: string; typeId: number }[],
  ): Promise<HubSpotObject> {
    const res = await this.http.request<HubSpotObject>({
      method: 'POST',
      path: `/crm/v3/objects/${type}`,
      body: {
        properties,
        associations: associations.map((a) => ({
          to: { id: a.id },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: a.typeId }],
        })),
      },
    });
    return res.body;
  }

  /**
   * A note/task whose body carries `marker` (an earlier attempt's write). Search indexing lags a
   * few seconds, so this narrows, not closes, the duplicate window (docs/connectors.md).
   */
  async findEngagementByMarker(type: 'notes' | 'tasks', marker: string): Promise<HubSpotObject | undefined> {
    const prop = type === 'notes' ? 'hs_note_body' : 'hs_task_body';
    return (await this.search(type, [[{ propertyName: prop, operator: 'CONTAINS_TOKEN', value: marker }]], [prop], 1))[0];
  }
}
