/**
 * HubSpot CRM stand-in: CRM search (`/crm/v3/objects/:type/search`, EQ / CONTAINS_TOKEN / HAS_PROPERTY
 * filters, AND within a group, OR across groups), object reads, owners, v4 associations, deals
 * batch read, and note / task creation with associations. Auth: private-app bearer token. Errors use
 * HubSpot's `{status:"error", message, correlationId, category}` envelope. Search matches whole
 * tokens (`*` is a wildcard within a token), so a number typed with spaces is not found by its
 * digits in `phone`; HubSpot's digit-only `hs_searchable_calculated_*` copies are. New objects
 * reach search after `searchLagMs` (HubSpot indexes asynchronously; 0 unless a test sets it).
 */
import express, { type Response } from 'express';
import type { SandboxSystem } from '../core';
import { SANDBOX_CREDENTIALS, bearer, uuid } from '../support';

type Props = Record<string, string | null>;
interface CrmObject {
  id: string;
  properties: Props;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  /** type -> ids. */
  associations: Record<string, string[]>;
}

const CREATED = '2026-01-05T18:00:00.000Z';

/** Country calling codes the sandbox can split off a `+` number (longest first); others keep every digit. */
const COUNTRY_CODES = [
  '353',
  '852',
  '971',
  '44',
  '49',
  '33',
  '61',
  '81',
  '91',
  '34',
  '39',
  '31',
  '46',
  '47',
  '45',
  '41',
  '43',
  '32',
  '55',
  '52',
  '65',
  '1',
];

/** HubSpot's calculated searchable number: digits only, without the country code. */
export function searchableNumber(typed: string | null | undefined): string | null {
  if (!typed) return null;
  const digits = typed.replace(/\D/g, '');
  if (!typed.trim().startsWith('+')) return digits || null;
  const cc = COUNTRY_CODES.find((c) => digits.startsWith(c));
  return (cc ? digits.slice(cc.length) : digits) || null;
}

const withSearchable = (p: Props): Props => ({
  ...p,
  hs_searchable_calculated_phone_number: searchableNumber(p.phone),
  hs_searchable_calculated_mobile_number: searchableNumber(p.mobilephone),
});

const contact = (
  id: string,
  email: string,
  firstname: string,
  lastname: string,
  phone: string,
  accountId: string,
  owner: string,
  extra: Props = {},
): CrmObject => ({
  id,
  properties: withSearchable({
    email,
    firstname,
    lastname,
    phone,
    account_id: accountId,
    hubspot_owner_id: owner,
    createdate: CREATED,
    lastmodifieddate: CREATED,
    hs_object_id: id,
    ...extra,
  }),
  createdAt: CREATED,
  updatedAt: CREATED,
  archived: false,
  associations: {},
});

function seedObjects(): Record<string, Map<string, CrmObject>> {
  const contacts = [
    contact('501', 'billing@acme.example', 'Ada', 'Acme', '+1 415 555 0101', 'ACME-001', '9001', { payment_platform: 'quickbooks' }),
    // Numbers as people type them: spaces, brackets, dashes, dots, with and without +1.
    contact('502', 'ap@globex.example', 'Gil', 'Globex', '(541) 555-0102', 'GLOBEX-002', '9002', {
      customer_tier: 'vip',
      payment_platform: 'skyfire',
    }),
    contact('503', 'finance@initech.example', 'Ivy', 'Initech', '+1 512-555-0103', 'INITECH-003', '9001', {
      payment_platform: 'quickbooks',
      // HubSpot's own spelling of the contact's time zone (a date-only deadline ends there).
      hs_timezone: 'america_slash_chicago',
    }),
    contact('504', 'accounts@umbrella.example', 'Uma', 'Umbrella', '757.555.0104', 'UMBRELLA-004', '9002', {
      payment_platform: 'skyfire',
      mobilephone: '+1 (757) 555 0199',
    }),
    contact('505', 'ar@hooli.example', 'Hal', 'Hooli', '+16505550105', 'HOOLI-005', '9001', { payment_platform: 'quickbooks' }),
  ];
  const deal: CrmObject = {
    id: '7001',
    properties: {
      dealname: 'Initech renewal 2027',
      amount: '899.00',
      dealstage: 'contractsent',
      pipeline: 'default',
      closedate: '2026-11-01T00:00:00.000Z',
      hubspot_owner_id: '9001',
      createdate: CREATED,
      hs_lastmodifieddate: CREATED,
      hs_object_id: '7001',
    },
    createdAt: CREATED,
    updatedAt: CREATED,
    archived: false,
    associations: { contacts: ['503'] },
  };
  contacts[2].associations.deals = ['7001'];
  return {
    contacts: new Map(contacts.map((c) => [c.id, c])),
    deals: new Map([[deal.id, deal]]),
    notes: new Map(),
    tasks: new Map(),
  };
}

const OWNERS = [
  {
    id: '9001',
    email: 'olivia.owner@ourco.example',
    type: 'PERSON',
    firstName: 'Olivia',
    lastName: 'Owner',
    userId: 70001,
    userIdIncludingInactive: 70001,
    createdAt: CREATED,
    updatedAt: CREATED,
    archived: false,
    teams: [],
  },
  {
    id: '9002',
    email: 'omar.owner@ourco.example',
    type: 'PERSON',
    firstName: 'Omar',
    lastName: 'Owner',
    userId: 70002,
    userIdIncludingInactive: 70002,
    createdAt: CREATED,
    updatedAt: CREATED,
    archived: false,
    teams: [],
  },
];

/** HubSpot's association type ids (HUBSPOT_DEFINED) for the pairs we emulate. */
const ASSOC_TYPE: Record<string, { from: string; to: string }> = {
  '202': { from: 'notes', to: 'contacts' },
  '214': { from: 'notes', to: 'deals' },
  '204': { from: 'tasks', to: 'contacts' },
  '216': { from: 'tasks', to: 'deals' },
  '3': { from: 'deals', to: 'contacts' },
  '4': { from: 'contacts', to: 'deals' },
};

function hsError(res: Response, status: number, category: string, message: string, extra: Record<string, unknown> = {}) {
  res.status(status).json({ status: 'error', message, correlationId: uuid(), category, ...extra });
}

/** Whole-token match with `*` wildcards; tokens split at anything but letters, digits and `_`. */
function containsToken(value: string, needle: string): boolean {
  const pattern = new RegExp(
    `^${needle
      .toLowerCase()
      .split('*')
      .map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return value
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .some((t) => t !== '' && pattern.test(t));
}

export function createHubSpotSystem(): SandboxSystem {
  let objects = seedObjects();
  let nextId = 80000;
  /** id -> when the object becomes visible to search. */
  let indexedAt = new Map<string, number>();
  let searchLagMs = 0;
  const reset = () => {
    objects = seedObjects();
    nextId = 80000;
    indexedAt = new Map();
    searchLagMs = 0;
  };
  const view = (o: CrmObject, props: string[] | undefined) => {
    const defaults = ['createdate', 'hs_object_id', 'lastmodifieddate', 'hs_lastmodifieddate'];
    const keys = props?.length ? [...new Set([...props, ...defaults])] : Object.keys(o.properties);
    return {
      id: o.id,
      properties: Object.fromEntries(keys.filter((k) => k in o.properties).map((k) => [k, o.properties[k]])),
      createdAt: o.createdAt,
      updatedAt: o.updatedAt,
      archived: o.archived,
    };
  };

  const router = () => {
    const r = express.Router();
    r.use((req, res, next) => {
      if (bearer(req) !== SANDBOX_CREDENTIALS.hubspot) {
        return hsError(
          res,
          401,
          'INVALID_AUTHENTICATION',
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
        );
      }
      next();
    });

    r.post('/crm/v3/objects/:type/search', (req, res) => {
      const store = objects[req.params.type];
      if (!store) return hsError(res, 400, 'VALIDATION_ERROR', `Unable to infer object type from: ${req.params.type}`);
      const b = (req.body ?? {}) as {
        filterGroups?: { filters?: { propertyName: string; operator: string; value?: string }[] }[];
        properties?: string[];
        limit?: number;
        after?: string;
      };
      const groups = b.filterGroups ?? [];
      const filterCount = groups.reduce((n, g) => n + (g.filters?.length ?? 0), 0);
      if (groups.length > 5 || groups.some((g) => (g.filters?.length ?? 0) > 6) || filterCount > 18) {
        return hsError(res, 400, 'VALIDATION_ERROR', 'Too many filter groups or filters: at most 5 groups, 6 filters each, 18 in total');
      }
      const norm = (v: string) => v.toLowerCase();
      const now = Date.now();
      const match = (o: CrmObject, f: { propertyName: string; operator: string; value?: string }) => {
        const v = o.properties[f.propertyName];
        switch (f.operator) {
          case 'EQ':
            return v != null && norm(v) === norm(String(f.value ?? ''));
          case 'NEQ':
            return v == null || norm(v) !== norm(String(f.value ?? ''));
          case 'CONTAINS_TOKEN':
            return v != null && containsToken(v, String(f.value ?? ''));
          case 'HAS_PROPERTY':
            return v != null && v !== '';
          case 'NOT_HAS_PROPERTY':
            return v == null || v === '';
          default:
            return false;
        }
      };
      const all = [...store.values()].filter(
        (o) =>
          (indexedAt.get(o.id) ?? 0) <= now && (groups.length === 0 || groups.some((g) => (g.filters ?? []).every((f) => match(o, f)))),
      );
      const limit = Math.min(b.limit ?? 10, 200);
      const start = Number(b.after ?? 0) || 0;
      const page = all.slice(start, start + limit);
      res.json({
        total: all.length,
        results: page.map((o) => view(o, b.properties)),
        ...(start + limit < all.length ? { paging: { next: { after: String(start + limit) } } } : {}),
      });
    });

    r.get('/crm/v3/owners/:ownerId', (req, res) => {
      const owner = OWNERS.find((o) => o.id === req.params.ownerId);
      if (!owner) return hsError(res, 404, 'OBJECT_NOT_FOUND', `Owner with id ${req.params.ownerId} not found`);
      res.json(owner);
    });
    r.get('/crm/v3/owners', (_req, res) => res.json({ results: OWNERS }));

    r.get('/crm/v4/objects/:type/:id/associations/:toType', (req, res) => {
      const o = objects[req.params.type]?.get(req.params.id);
      if (!o) return hsError(res, 404, 'OBJECT_NOT_FOUND', `Object not found. objectId are usually numeric.`);
      const ids = o.associations[req.params.toType] ?? [];
      res.json({
        results: ids.map((id) => ({
          toObjectId: Number(id),
          associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: req.params.toType === 'deals' ? 4 : 3, label: null }],
        })),
      });
    });

    r.post('/crm/v3/objects/:type/batch/read', (req, res) => {
      const store = objects[req.params.type];
      if (!store) return hsError(res, 400, 'VALIDATION_ERROR', `Unable to infer object type from: ${req.params.type}`);
      const b = (req.body ?? {}) as { inputs?: { id: string }[]; properties?: string[] };
      const found = (b.inputs ?? []).map((i) => store.get(String(i.id))).filter((o): o is CrmObject => !!o);
      const now = new Date().toISOString();
      res.json({ status: 'COMPLETE', results: found.map((o) => view(o, b.properties)), startedAt: now, completedAt: now });
    });

    r.get('/crm/v3/objects/:type/:id', (req, res) => {
      const o = objects[req.params.type]?.get(req.params.id);
      if (!o) return hsError(res, 404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.');
      const props = typeof req.query.properties === 'string' ? req.query.properties.split(',') : undefined;
      const assoc = typeof req.query.associations === 'string' ? req.query.associations.split(',') : [];
      res.json({
        ...view(o, props),
        ...(assoc.length
          ? {
              associations: Object.fromEntries(
                assoc
                  .filter((t) => o.associations[t]?.length)
                  .map((t) => [
                    t,
                    { results: o.associations[t].map((id) => ({ id, type: `${req.params.type.slice(0, -1)}_to_${t.slice(0, -1)}` })) },
                  ]),
              ),
            }
          : {}),
      });
    });

    r.post('/crm/v3/objects/:type', (req, res) => {
      const type = req.params.type;
      if (type !== 'notes' && type !== 'tasks') return hsError(res, 400, 'VALIDATION_ERROR', `Creating ${type} is not emulated`);
      const b = (req.body ?? {}) as {
        properties?: Props;
        associations?: { to?: { id?: string }; types?: { associationCategory?: string; associationTypeId?: number }[] }[];
      };
      const props = b.properties ?? {};
      const required = type === 'notes' ? ['hs_timestamp'] : ['hs_timestamp', 'hs_task_subject'];
      const missing = required.filter((p) => !props[p]);
      if (missing.length) {
        return hsError(res, 400, 'VALIDATION_ERROR', `Property values were not valid: missing ${missing.join(', ')}`, {
          errors: missing.map((p) => ({ message: `${p} is required`, code: 'REQUIRED_PROPERTY', context: { propertyName: [p] } })),
        });
      }
      const associations: Record<string, string[]> = {};
      for (const a of b.associations ?? []) {
        const typeId = String(a.types?.[0]?.associationTypeId ?? '');
        const def = ASSOC_TYPE[typeId];
        const target = def && def.from === type ? objects[def.to]?.get(String(a.to?.id ?? '')) : undefined;
        if (!def || def.from !== type)
          return hsError(res, 400, 'VALIDATION_ERROR', `association type id ${typeId} is not valid from ${type}`);
        if (!target) return hsError(res, 404, 'OBJECT_NOT_FOUND', `association target ${def.to} ${String(a.to?.id)} not found`);
        (associations[def.to] ??= []).push(target.id);
      }
      if (props.hubspot_owner_id && !OWNERS.some((o) => o.id === props.hubspot_owner_id))
        return hsError(res, 400, 'VALIDATION_ERROR', `Property values were not valid: owner ${props.hubspot_owner_id} does not exist`);
      const now = new Date().toISOString();
      const id = String(++nextId);
      const o: CrmObject = {
        id,
        properties: { ...props, hs_object_id: id, hs_createdate: now, hs_lastmodifieddate: now },
        createdAt: now,
        updatedAt: now,
        archived: false,
        associations,
      };
      objects[type].set(id, o);
      if (searchLagMs > 0) indexedAt.set(id, Date.now() + searchLagMs);
      for (const [to, ids] of Object.entries(associations))
        for (const tid of ids) (objects[to].get(tid)!.associations[type] ??= []).push(id);
      res.status(201).json(view(o, undefined));
    });
    return r;
  };

  return {
    name: 'hubspot',
    title: 'HubSpot',
    router,
    faultBody: (status) =>
      status === 429
        ? {
            status: 'error',
            message: 'You have reached your secondly limit.',
            errorType: 'RATE_LIMIT',
            correlationId: uuid(),
            policyName: 'SECONDLY',
            groupName: 'publicapi:private-app',
          }
        : { status: 'error', message: 'internal error', correlationId: uuid(), category: 'INTERNAL_ERROR' },
    reset,
    controlRouter() {
      const r = express.Router();
      r.get('/objects/:type', (req, res) => res.json([...(objects[req.params.type]?.values() ?? [])]));
      r.use(express.json());
      // Tests: how long a new note or task stays invisible to search.
      r.post('/search-lag', (req, res) => {
        searchLagMs = Math.max(0, Number((req.body as { ms?: number }).ms ?? 0));
        res.json({ searchLagMs });
      });
      // Tests: someone edits a contact in the HubSpot UI (e.g. its payment_platform).
      r.post('/contacts/:id/properties', (req, res) => {
        const c = objects.contacts?.get(req.params.id) as { properties: Record<string, unknown>; updatedAt?: string } | undefined;
        if (!c) return void res.status(404).json({ error: 'no such contact' });
        Object.assign(c.properties, req.body as Record<string, unknown>);
        c.updatedAt = new Date().toISOString();
        res.json(c);
      });
      return r;
    },
  };
}
