/**
 * HubSpot as it behaves: search matches whole tokens, so numbers typed with spaces or dashes are
 * found through the digit-only `hs_searchable_calculated_*` properties; record links carry the
 * portal id; the official client is a test-only dependency.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSandbox, type TestSandbox } from './helpers';
import { HubSpotClient } from '../../src/connectors/hubspot';
import { loadConfig } from '../../src/config/load';

describe('HubSpot phone search, record links, dependencies', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('finds contacts whose numbers were typed with spaces, brackets, dashes or dots, from any caller format', async () => {
    const cases: [string, string][] = [
      ['+14155550101', '501'], // stored "+1 415 555 0101"
      ['415-555-0101', '501'],
      ['+1 (541) 555 0102', '502'], // stored "(541) 555-0102"
      ['5125550103', '503'], // stored "+1 512-555-0103"
      ['+1 757 555 0104', '504'], // stored "757.555.0104"
      ['(757) 555-0199', '504'], // mobile "+1 (757) 555 0199"
      ['650 555 0105', '505'], // stored "+16505550105"
    ];
    for (const [caller, id] of cases) assert.equal((await sb.clients.hubspot.findContactByPhone(caller))?.id, id, caller);
    assert.equal(await sb.clients.hubspot.findContactByPhone('+1 415 555 9999'), undefined);
    assert.equal(await sb.clients.hubspot.findContactByPhone('555'), undefined);
  });

  it('the sandbox matches whole tokens, as HubSpot search does: digits inside "+1 415 555 0101" are not a token', async () => {
    const raw = await sb.clients.hubspot.search(
      'contacts',
      [[{ propertyName: 'phone', operator: 'CONTAINS_TOKEN', value: '*4155550101' }]],
      ['phone'],
    );
    assert.deepEqual(raw, []);
    const token = await sb.clients.hubspot.search(
      'contacts',
      [[{ propertyName: 'phone', operator: 'CONTAINS_TOKEN', value: '0101' }]],
      ['phone'],
    );
    assert.deepEqual(
      token.map((c) => c.id),
      ['501'],
    );
  });

  it('links records with HUBSPOT_PORTAL_ID, and builds no link to the real HubSpot without it', () => {
    const real = loadConfig({ HUBSPOT_ACCESS_TOKEN: 'pat-na1-test', HUBSPOT_PORTAL_ID: '4412345', LOG_LEVEL: 'silent' }).connectors.hubspot;
    assert.equal(new HubSpotClient(real).recordUrl('contact', '501'), 'https://app.hubspot.com/contacts/4412345/record/0-1/501');
    assert.equal(new HubSpotClient(real).recordUrl('deal', '7001'), 'https://app.hubspot.com/contacts/4412345/record/0-3/7001');
    const noPortal = loadConfig({ HUBSPOT_ACCESS_TOKEN: 'pat-na1-test', LOG_LEVEL: 'silent' }).connectors.hubspot;
    assert.equal(new HubSpotClient(noPortal).recordUrl('contact', '501'), undefined);
    assert.throws(() => loadConfig({ HUBSPOT_PORTAL_ID: 'abc', LOG_LEVEL: 'silent' }), /HUBSPOT_PORTAL_ID/);
  });

  it('a new note is invisible to search while HubSpot indexes it (when a lag is set)', async () => {
    // A lag long against a stalled machine, so the first search surely falls inside it; then a poll,
    // not a sleep, for the note to show up.
    await sb.control('/hubspot/search-lag', { ms: 2000 });
    const created = Date.now();
    const note = await sb.clients.hubspot.createEngagement(
      'notes',
      { hs_timestamp: new Date().toISOString(), hs_note_body: 'x [ref:lag1]' },
      [{ id: '501', typeId: 202 }],
    );
    assert.equal(await sb.clients.hubspot.findEngagementByMarker('notes', 'lag1'), undefined);
    let found = await sb.clients.hubspot.findEngagementByMarker('notes', 'lag1');
    for (let i = 0; !found && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      found = await sb.clients.hubspot.findEngagementByMarker('notes', 'lag1');
    }
    assert.equal(found?.id, note.id);
    assert.ok(Date.now() - created >= 2000, 'not before the lag had passed');
  });

  it('runtime dependencies are what src imports; the vendor SDKs used only by tests are devDependencies', () => {
    const root = path.join(__dirname, '..', '..');
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const imported = new Set<string>();
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts'))
          for (const m of fs.readFileSync(p, 'utf8').matchAll(/(?:from|import\()\s*'((?:@[^/']+\/)?[^./'][^/']*)/g)) imported.add(m[1]);
      }
    };
    walk(path.join(root, 'src'));
    const unused = Object.keys(pkg.dependencies).filter((d) => !imported.has(d));
    assert.deepEqual(unused, [], 'runtime dependencies nothing in src imports');
    const devInSrc = Object.keys(pkg.devDependencies).filter((d) => imported.has(d) && !d.startsWith('@types/'));
    assert.deepEqual(devInSrc, [], 'src imports a devDependency');
    for (const sdk of ['@hubspot/api-client', 'node-quickbooks', 'node-zendesk', '@googleapis/gmail', '@googleapis/drive'])
      assert.ok(pkg.devDependencies[sdk], `${sdk} is a devDependency`);
    assert.ok(pkg.dependencies['@slack/web-api'], 'the Slack connector uses @slack/web-api at run time');
  });
});
