import assert from 'node:assert/strict';
import { Client as HubSpotSdk } from '@hubspot/api-client';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/notes';
import { startSandbox, rejectsWithType, type TestSandbox } from './helpers';
import { HubSpotClient } from '../../src/connectors/hubspot';

describe('HubSpot connector', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('finds a contact by account id, email and phone, with its owner', async () => {
    const byAccount = await sb.clients.hubspot.findContactBy('account_id', 'INITECH-003');
    assert.equal(byAccount?.id, '503');
    assert.equal(byAccount?.properties.hubspot_owner_id, '9001');
    assert.equal((await sb.clients.hubspot.findContactBy('email', 'AP@globex.example'))?.id, '502');
    assert.equal((await sb.clients.hubspot.findContactByPhone('(512) 555-0103'))?.id, '503');
    assert.equal(await sb.clients.hubspot.findContactBy('account_id', 'NOPE-999'), undefined);
    const owner = await sb.clients.hubspot.getOwner('9001');
    assert.equal(owner.firstName, 'Olivia');
  });

  it('reads the failed renewal deal through the v4 associations and batch read', async () => {
    const ids = await sb.clients.hubspot.getContactDealIds('503');
    assert.deepEqual(ids, ['7001']);
    const [deal] = await sb.clients.hubspot.readDeals(ids);
    assert.equal(deal.properties.dealname, 'Initech renewal 2027');
  });

  it('adds a note associated with the contact, findable by its marker', async () => {
    const note = await sb.clients.hubspot.createEngagement(
      'notes',
      { hs_timestamp: new Date().toISOString(), hs_note_body: 'Promise to pay [ref:abc123]' },
      [{ id: '505', typeId: 202 }],
    );
    assert.equal((await sb.clients.hubspot.findEngagementByMarker('notes', 'abc123'))?.id, note.id);
  });

  it('classifies errors: 404 OBJECT_NOT_FOUND, 400 VALIDATION_ERROR, 401 auth, 429 rate limit', async () => {
    await rejectsWithType(sb.clients.hubspot.getOwner('1'), 'NotFoundError', (e) => assert.equal(e.code, 'OBJECT_NOT_FOUND'));
    await rejectsWithType(sb.clients.hubspot.createEngagement('notes', { hs_note_body: 'no timestamp' }, []), 'ValidationError', (e) =>
      assert.equal(e.code, 'VALIDATION_ERROR'),
    );
    const bad = new HubSpotClient({ ...sb.config.connectors.hubspot, token: 'nope' });
    await rejectsWithType(bad.getOwner('9001'), 'AuthError');
    await sb.faults('hubspot', { rateLimitNext: 1, retryAfterSeconds: 1 });
    await rejectsWithType(sb.clients.hubspot.getOwner('9001'), 'RateLimitedError', (e) => assert.equal(e.nextRetryDelay, 1000));
  });

  describe('fidelity: the official @hubspot/api-client against the sandbox', () => {
    let sdk: HubSpotSdk;
    beforeEach(() => {
      sdk = new HubSpotSdk({ accessToken: 'sandbox-hubspot-token', basePath: `${sb.url}/hubspot`, numberOfApiCallRetries: 0 });
    });

    it('searches contacts and reads owners and deals', async () => {
      const res = await sdk.crm.contacts.searchApi.doSearch({
        filterGroups: [{ filters: [{ propertyName: 'account_id', operator: FilterOperatorEnum.Eq, value: 'ACME-001' }] }],
        properties: ['email', 'hubspot_owner_id'],
        limit: 10,
        after: '0',
        sorts: [],
      });
      assert.equal(res.total, 1);
      assert.equal(res.results[0].id, '501');
      assert.equal(res.results[0].properties.email, 'billing@acme.example');
      assert.ok(res.results[0].createdAt instanceof Date);
      const owner = await sdk.crm.owners.ownersApi.getById(9002);
      assert.equal(owner.lastName, 'Owner');
      const deals = await sdk.crm.deals.batchApi.read({ inputs: [{ id: '7001' }], properties: ['dealname'], propertiesWithHistory: [] });
      assert.equal(deals.results[0].properties.dealname, 'Initech renewal 2027');
    });

    it('creates a note with an association and sees HubSpot-shaped errors', async () => {
      const note = await sdk.crm.objects.notes.basicApi.create({
        properties: { hs_timestamp: new Date().toISOString(), hs_note_body: 'Collections note' },
        associations: [
          {
            to: { id: '505' },
            types: [{ associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined, associationTypeId: 202 }],
          },
        ],
      });
      assert.ok(note.id);
      await assert.rejects(
        sdk.crm.owners.ownersApi.getById(1),
        (err: { code?: number; body?: { category?: string } }) => err.code === 404 && err.body?.category === 'OBJECT_NOT_FOUND',
      );
      const notes = (await sb.control('/hubspot/objects/notes')) as { associations: Record<string, string[]> }[];
      assert.deepEqual(notes[0].associations.contacts, ['505']);
    });
  });
});
