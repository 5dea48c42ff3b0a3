import assert from 'node:assert/strict';
import { startSandbox, type TestSandbox } from '../connectors/helpers';
import type { SystemName } from '../../src/sandbox/core';

describe('sandbox pages and controls', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('shows each system the traffic it received on its own page, secrets masked', async () => {
    await sb.clients.skyfire.getBalance();
    await sb.clients.quickbooks.findInvoiceByDocNumber('INV-1001');
    await sb.clients.hubspot.getOwner('9001');
    await sb.clients.gmail.findByMessageId('x@example.com');
    await sb.clients.zendesk.getTicket(9001);
    await sb.clients.drive.generateIds(1);
    const expected: Record<string, string> = {
      skyfire: '/api/v1/agents/balance',
      quickbooks: '/v3/company/9130350000000001/query',
      hubspot: '/crm/v3/owners/9001',
      gmail: '/gmail/v1/users/me/messages',
      zendesk: '/api/v2/tickets/9001',
      drive: '/drive/v3/files/generateIds',
    };
    for (const [system, path] of Object.entries(expected)) {
      const res = await fetch(`${sb.url}/_sandbox/ui/${system}`);
      assert.equal(res.status, 200, system);
      const html = await res.text();
      assert.ok(html.includes(path), `${system} page lists ${path}`);
      assert.match(html, /1 requests received/);
      assert.ok(!html.includes('sandbox-qbo-access-token') && !html.includes('sandbox-skyfire-buyer-key'));
    }
    const index = await (await fetch(`${sb.url}/`)).text();
    for (const s of Object.keys(expected) as SystemName[]) assert.ok(index.includes(`/_sandbox/ui/${s}`));
  });

  it('exposes fault settings, rejects unknown systems, and resets seed data', async () => {
    await sb.faults('zendesk', { latencyMs: 10 });
    const faults = (await sb.control('/faults')) as Record<string, { latencyMs: number }>;
    assert.equal(faults.zendesk.latencyMs, 10);
    const bad = await fetch(`${sb.url}/_sandbox/faults/nope`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(bad.status, 404);
    await sb.clients.zendesk.createTicket({ subject: 's', comment: { body: 'b' } }, 'k');
    await sb.reset();
    assert.equal(((await sb.control('/zendesk/tickets')) as unknown[]).length, 1);
    assert.equal(((await sb.control('/records')) as unknown[]).length, 0);
  });

  it('rejects a malformed wallet balance on the Skyfire control endpoint', async () => {
    const res = await fetch(`${sb.url}/_sandbox/skyfire/wallet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ balance: 'lots' }),
    });
    assert.equal(res.status, 400);
  });
});
