/**
 * Fidelity by the vendors' own clients: node-quickbooks, node-zendesk, @googleapis/gmail,
 * @googleapis/drive, @slack/web-api and @hubspot/api-client drive the sandbox through every
 * endpoint our connectors use. These clients address a service by host and absolute path, so each
 * system is served at the root of a port of its own (and by Host on the shared port); the
 * `/<system>` prefix keeps working beside them.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import QuickBooks from 'node-quickbooks';
import { createClient as createZendesk } from 'node-zendesk';
import { gmail as gmailApi, auth as gmailAuth, type gmail_v1 } from '@googleapis/gmail';
import { drive as driveApi, auth as driveAuth, type drive_v3 } from '@googleapis/drive';
import { WebClient } from '@slack/web-api';
import { Client as HubSpotSdk } from '@hubspot/api-client';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts';
import {
  AssociationSpecAssociationCategoryEnum as TaskAssociationCategory,
  FilterOperatorEnum as TaskFilterOperator,
} from '@hubspot/api-client/lib/codegen/crm/objects/tasks';
import { startSandboxServer } from '../../src/sandbox';
import { QBO_REALM } from '../../src/sandbox/systems/quickbooks/seed';
import { SANDBOX_CREDENTIALS } from '../../src/sandbox/support';
import { SANDBOX_SLACK_BOT_TOKEN, SLACK_SEED } from '../../src/sandbox/systems/slack/seed';
import type { SystemName } from '../../src/sandbox/core';

type Started = Awaited<ReturnType<typeof startSandboxServer>>;

describe("sandbox fidelity: the vendors' own clients", function () {
  this.timeout(20_000);
  let sb: Started;
  const at = (s: SystemName) => sb.systemUrls[s]!;
  before(async () => {
    sb = await startSandboxServer({ port: 0, systemPorts: { quickbooks: 0, zendesk: 0, gmail: 0, drive: 0, slack: 0, hubspot: 0 } });
  });
  beforeEach(async () => {
    await fetch(`${sb.url}/_sandbox/reset`, { method: 'POST' });
  });
  after(() => sb.close());

  it('routes by Host on the shared port, and keeps the /<system> prefix', async () => {
    const auth = { authorization: `Bearer ${SANDBOX_CREDENTIALS.quickbooks}` };
    const path = `/v3/company/${QBO_REALM}/invoice/1001?minorversion=75`;
    // fetch may not set Host; node:http does, as a client resolving the vendor's host to us would.
    const withHost = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(sb.url);
        http
          .get({ host: u.hostname, port: u.port, path, headers: { ...auth, host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject);
      });
    assert.equal(await withHost('quickbooks.api.intuit.com'), 200);
    assert.equal(await withHost('quickbooks.sandbox.localhost:4010'), 200);
    assert.equal(await withHost('acme.zendesk.com'), 401, 'Zendesk answers (and wants its own credentials)');
    assert.equal((await fetch(`${sb.url}/quickbooks${path}`, { headers: auth })).status, 200);
    assert.equal((await fetch(`${at('quickbooks')}${path}`, { headers: auth })).status, 200);
    // Without a vendor Host, the root is the sandbox's own page, not an API.
    assert.equal((await fetch(`${sb.url}${path}`, { headers: auth })).status, 404);
  });

  it('node-quickbooks: query (fetchAll with startposition), read, send, create, sparse update, PDF, faults', async () => {
    const qbo = new QuickBooks('id', 'secret', SANDBOX_CREDENTIALS.quickbooks, false, QBO_REALM, true, false, '75', '2.0');
    (qbo as unknown as { endpoint: string }).endpoint = `${at('quickbooks')}/v3/company/`;
    // node-quickbooks is callback-style: (err, body) last.
    const methods = qbo as unknown as Record<string, (...a: unknown[]) => void>;
    const call = <T>(method: string, ...args: unknown[]) =>
      new Promise<T>((resolve, reject) =>
        methods[method].call(qbo, ...args, (err: unknown, body: T) => (err ? reject(err) : resolve(body))),
      );
    await fetch(`${sb.url}/_sandbox/quickbooks/customers/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 1200 }),
    });
    const all = await call<{ QueryResponse: { Customer: { Id: string }[] } }>('findCustomers', { fetchAll: true });
    assert.equal(all.QueryResponse.Customer.length, 1207);
    const count = await call<{ QueryResponse: { totalCount: number } }>('findCustomers', { count: true });
    assert.equal(count.QueryResponse.totalCount, 1207);
    const inv = await call<{ QueryResponse: { Invoice: { Id: string }[] } }>('findInvoices', { DocNumber: 'INV-1001' });
    assert.equal(inv.QueryResponse.Invoice[0].Id, '1001');
    const byCustomer = await call<{ QueryResponse: { Invoice?: unknown[] } }>('findInvoices', [
      { field: 'CustomerRef', value: '101' },
      { field: 'Balance', value: '0', operator: '>' },
    ]);
    assert.equal(byCustomer.QueryResponse.Invoice?.length, 1);
    assert.equal((await call<{ Id: string }>('getInvoice', '1001')).Id, '1001');
    assert.equal((await call<{ Id: string }>('getPayment', '3001')).Id, '3001');
    const customer = await call<{ Id: string; SyncToken: string }>('getCustomer', '101');
    const sent = await call<{ EmailStatus: string }>('sendInvoicePdf', '1001', 'billing@acme.example');
    assert.equal(sent.EmailStatus, 'EmailSent');
    const line = {
      Amount: 10,
      DetailType: 'SalesItemLineDetail',
      SalesItemLineDetail: { ItemRef: { value: '1' } },
      Description: 'Refund for INV-1001',
    };
    const rr = await call<{ Id: string }>('createRefundReceipt', {
      CustomerRef: { value: '101' },
      DepositToAccountRef: { value: '35' },
      Line: [line],
      PrivateNote: 'case x',
      requestId: 'nq-rr-1',
    });
    const cm = await call<{ Id: string }>('createCreditMemo', { CustomerRef: { value: '101' }, Line: [line] });
    const refunds = await call<{ QueryResponse: { RefundReceipt: { Id: string }[] } }>('findRefundReceipts', { CustomerRef: '101' });
    assert.deepEqual(
      refunds.QueryResponse.RefundReceipt.map((r) => r.Id),
      [rr.Id],
    );
    const memos = await call<{ QueryResponse: { CreditMemo: { Id: string }[] } }>('findCreditMemos', { CustomerRef: '101' });
    assert.deepEqual(
      memos.QueryResponse.CreditMemo.map((r) => r.Id),
      [cm.Id],
    );
    const updated = await call<{ BillAddr: { Line1: string } }>('updateCustomer', {
      Id: customer.Id,
      SyncToken: customer.SyncToken,
      sparse: true,
      BillAddr: { Line1: '2 Main St', City: 'Oakland', PostalCode: '94607', Country: 'US' },
    });
    assert.equal(updated.BillAddr.Line1, '2 Main St');
    const pdf = await call<Buffer>('getInvoicePdf', '1001');
    assert.equal(Buffer.from(pdf).subarray(0, 5).toString(), '%PDF-');
    // A stale SyncToken: node-quickbooks rejects with axios' error, the Fault envelope in its body.
    const stale = await call('updateCustomer', { Id: customer.Id, SyncToken: customer.SyncToken, sparse: true, Notes: 'x' }).catch(
      (e: unknown) => e,
    );
    assert.equal(
      (stale as { response: { status: number; data: { Fault: { Error: { code: string }[] } } } }).response.data.Fault.Error[0].code,
      '5010',
    );
    // Expired token: the gateway's lower-case fault body.
    const expired = new QuickBooks('id', 'secret', 'expired', false, QBO_REALM, true, false, '75', '2.0');
    (expired as unknown as { endpoint: string }).endpoint = `${at('quickbooks')}/v3/company/`;
    const denied = await new Promise((_resolve, reject) => expired.getInvoice('1001', (err: unknown) => reject(err))).catch(
      (e: unknown) => e,
    );
    assert.equal((denied as { response: { data: { fault: { error: { code: string }[] } } } }).response.data.fault.error[0].code, '3200');
  });

  it('node-zendesk: create (tickets.json), show, list by external_id, update with a note, all comments across pages', async () => {
    const zd = createZendesk({
      username: SANDBOX_CREDENTIALS.zendeskEmail,
      token: SANDBOX_CREDENTIALS.zendeskToken,
      endpointUri: `${at('zendesk')}/api/v2`,
    });
    const created = (await zd.tickets.create({
      ticket: { subject: 'Refund', comment: { body: 'Hello' }, external_id: 'case-nz-1', priority: 'high' },
    })) as unknown as { result: { id: number } };
    const id = created.result.id;
    const shown = (await zd.tickets.show(id)) as unknown as { result: { subject: string } };
    assert.equal(shown.result.subject, 'Refund');
    const byExt = (await zd.tickets.listWithFilter('external_id', 'case-nz-1')) as unknown as { id: number }[];
    assert.deepEqual(
      byExt.map((t) => t.id),
      [id],
    );
    await zd.tickets.update(id, { ticket: { comment: { body: 'internal [ref:x]', public: false }, additional_tags: ['refund'] } } as never);
    await fetch(`${sb.url}/_sandbox/zendesk/tickets/${id}/comments/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 140 }),
    });
    const comments = (await zd.tickets.getComments(id)) as { body: string }[];
    assert.equal(comments.length, 142, 'node-zendesk follows next_page to the end');
    const paths = ((await (await fetch(`${sb.url}/_sandbox/records?system=zendesk`)).json()) as { path: string }[]).map((r) => r.path);
    assert.ok(paths.includes('/api/v2/tickets.json'));
  });

  it('@googleapis/gmail: drafts.create, drafts.list, drafts.send, messages.list (search), messages.get, messages.send', async () => {
    const oauth = new gmailAuth.OAuth2();
    oauth.setCredentials({ access_token: SANDBOX_CREDENTIALS.google });
    const g = gmailApi({ version: 'v1', auth: oauth, rootUrl: `${at('gmail')}/` } as gmail_v1.Options);
    const raw = Buffer.from(
      'From: billing@example.com\r\nTo: billing@acme.example\r\nSubject: Hi\r\nMessage-ID: <ours-1@example.com>\r\n\r\nHello\r\n\r\nRef: DN-fidelity-01\r\n',
    ).toString('base64url');
    const draft = await g.users.drafts.create({ userId: 'me', requestBody: { message: { raw } } });
    assert.ok(draft.data.id);
    const listed = await g.users.drafts.list({ userId: 'me', q: 'in:drafts "DN-fidelity-01"' });
    assert.equal(listed.data.drafts?.[0]?.id, draft.data.id);
    const sent = await g.users.drafts.send({ userId: 'me', requestBody: { id: draft.data.id! } });
    assert.deepEqual(sent.data.labelIds, ['SENT']);
    const again = await g.users.drafts.send({ userId: 'me', requestBody: { id: draft.data.id! } }).catch((e: { code?: number }) => e);
    assert.equal((again as { code?: number }).code, 404);
    const found = await g.users.messages.list({ userId: 'me', q: 'in:sent "DN-fidelity-01"', maxResults: 1, includeSpamTrash: true });
    assert.equal(found.data.messages?.[0]?.id, sent.data.id);
    assert.equal(
      (await g.users.messages.list({ userId: 'me', q: 'rfc822msgid:ours-1@example.com' })).data.messages,
      undefined,
      'Gmail replaced our Message-ID',
    );
    const got = await g.users.messages.get({ userId: 'me', id: sent.data.id! });
    assert.match(String(got.data.payload?.headers?.find((h) => h.name === 'Message-ID')?.value), /@mail\.gmail\.com>$/);
    const direct = await g.users.messages.send({ userId: 'me', requestBody: { raw } });
    assert.ok(direct.data.id);
  });

  it('@googleapis/drive: generateIds, files.list (q), files.create folder and multipart upload, files.get', async () => {
    const oauth = new driveAuth.OAuth2();
    oauth.setCredentials({ access_token: SANDBOX_CREDENTIALS.google });
    const d = driveApi({ version: 'v3', auth: oauth, rootUrl: `${at('drive')}/` } as drive_v3.Options);
    const ids = (await d.files.generateIds({ count: 2, space: 'drive', type: 'files' })).data.ids!;
    assert.equal(ids.length, 2);
    const folder = await d.files.create({
      requestBody: { id: ids[0], name: 'case-1', mimeType: 'application/vnd.google-apps.folder', parents: ['root'] },
      fields: 'id,name,parents',
      supportsAllDrives: true,
    });
    assert.equal(folder.data.id, ids[0]);
    const list = await d.files.list({
      q: `name = 'case-1' and mimeType = 'application/vnd.google-apps.folder' and 'root' in parents and trashed = false`,
      fields: 'files(id,name)',
      supportsAllDrives: true,
      includeItemsFromAllDrives: true,
    });
    assert.deepEqual(
      list.data.files?.map((f) => f.id),
      [ids[0]],
    );
    // googleapis builds the upload URL from the per-call rootUrl only (not the client's option).
    const file = await d.files.create(
      {
        requestBody: { id: ids[1], name: 'invoice.pdf', parents: [ids[0]], mimeType: 'application/pdf' },
        media: { mimeType: 'application/pdf', body: '%PDF-1.4 tiny' },
        fields: 'id,name,parents',
        supportsAllDrives: true,
      },
      { rootUrl: `${at('drive')}/` },
    );
    assert.equal(file.data.id, ids[1]);
    assert.equal((await d.files.get({ fileId: ids[1], fields: 'id,name', supportsAllDrives: true })).data.name, 'invoice.pdf');
  });

  it('@slack/web-api: every method the Slack connector calls, at slack.com-style /api/<method>', async () => {
    const slack = new WebClient(SANDBOX_SLACK_BOT_TOKEN, { slackApiUrl: `${at('slack')}/api/`, retryConfig: { retries: 0 } });
    assert.equal((await slack.auth.test()).user_id, SLACK_SEED.botUserId);
    const posted = await slack.chat.postMessage({
      channel: 'C0FINANCE',
      text: 'Approve?',
      metadata: { event_type: 'billing_case', event_payload: { case: 'c1' } },
    });
    assert.ok(posted.ts);
    await slack.chat.update({ channel: 'C0FINANCE', ts: posted.ts!, text: 'Approved' });
    await slack.chat.postEphemeral({ channel: 'C0FINANCE', user: 'U0FIN0001', text: 'only you' });
    await slack.chat.postMessage({ channel: 'C0FINANCE', thread_ts: posted.ts!, text: 'in thread' });
    assert.ok((await slack.conversations.replies({ channel: 'C0FINANCE', ts: posted.ts! })).messages?.length);
    assert.ok((await slack.conversations.history({ channel: 'C0FINANCE', include_all_metadata: true })).messages?.length);
    assert.equal((await slack.users.info({ user: 'U0FIN0001' })).user?.id, 'U0FIN0001');
    assert.equal((await slack.users.lookupByEmail({ email: 'olivia.owner@ourco.example' })).user?.id, 'U0OWN0001');
    // A trigger id we did not get from an interaction is refused in Slack's words.
    const view = await slack.views
      .open({ trigger_id: 'fake-trigger', view: { type: 'modal', title: { type: 'plain_text', text: 'Reason' }, blocks: [] } })
      .catch((e: { data?: { error?: string } }) => e);
    assert.equal((view as { data?: { error?: string } }).data?.error, 'invalid_trigger_id');
  });

  it("@slack/web-api views.publish: one Home view per user, validated as Slack does, in Slack's answer shape", async () => {
    const slack = new WebClient(SANDBOX_SLACK_BOT_TOKEN, { slackApiUrl: `${at('slack')}/api/`, retryConfig: { retries: 0 } });
    const blocks = [{ type: 'header', text: { type: 'plain_text', text: 'Waiting on you' } }];
    const first = await slack.views.publish({ user_id: 'U0FIN0001', view: { type: 'home', callback_id: 'billing_home', blocks } });
    assert.equal(first.ok, true);
    assert.match(first.view?.id ?? '', /^V/);
    assert.equal(first.view?.type, 'home');
    assert.equal(first.view?.callback_id, 'billing_home');
    assert.equal(first.view?.root_view_id, first.view?.id);
    assert.deepEqual(first.view?.blocks, blocks);
    const again = await slack.views.publish({ user_id: 'U0FIN0001', view: { type: 'home', blocks: [] }, hash: first.view?.hash });
    assert.equal(again.view?.id, first.view?.id, "the user's Home view keeps its id");
    assert.notEqual(again.view?.hash, first.view?.hash);
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { data?: { error?: string } }) => e.data?.error,
      );
    assert.equal(
      await refused(slack.views.publish({ user_id: 'U0FIN0001', view: { type: 'home', blocks: [] }, hash: first.view?.hash })),
      'hash_conflict',
      'a stale hash is refused',
    );
    const tooMany = Array.from({ length: 101 }, () => ({ type: 'divider' as const }));
    assert.equal(
      await refused(slack.views.publish({ user_id: 'U0FIN0001', view: { type: 'home', blocks: tooMany } })),
      'invalid_arguments',
    );
    assert.equal(
      await refused(
        slack.views.publish({
          user_id: 'U0FIN0001',
          view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] } as never,
        }),
      ),
      'invalid_arguments',
    );
    assert.equal(await refused(slack.views.publish({ view: { type: 'home', blocks: [] } } as never)), 'invalid_arguments');
    assert.equal(await refused(slack.views.publish({ user_id: 'U0NOBODY1', view: { type: 'home', blocks: [] } })), 'user_not_found');
    const state = (await (await fetch(`${sb.url}/_sandbox/slack/state`)).json()) as {
      homes: Record<string, { id: string; view: { blocks: unknown[] } }>;
    };
    assert.deepEqual(Object.keys(state.homes), ['U0FIN0001']);
    assert.deepEqual(state.homes.U0FIN0001.view.blocks, []);
  });

  it('@hubspot/api-client at its own host: search by the searchable phone, owners, associations, batch read, tasks', async () => {
    const hs = new HubSpotSdk({ accessToken: SANDBOX_CREDENTIALS.hubspot, basePath: at('hubspot'), numberOfApiCallRetries: 0 });
    const found = await hs.crm.contacts.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'hs_searchable_calculated_phone_number', operator: FilterOperatorEnum.Eq, value: '5125550103' }] },
      ],
      properties: ['email'],
      limit: 1,
      sorts: [],
      after: '0',
    });
    assert.equal(found.results[0]?.id, '503');
    assert.equal((await hs.crm.owners.ownersApi.getById(9001)).email, 'olivia.owner@ourco.example');
    const assoc = await hs.crm.associations.v4.basicApi.getPage('contacts', '503', 'deals');
    assert.deepEqual(
      assoc.results.map((r) => String(r.toObjectId)),
      ['7001'],
    );
    const deals = await hs.crm.deals.batchApi.read({ inputs: [{ id: '7001' }], properties: ['dealname'], propertiesWithHistory: [] });
    assert.equal(deals.results[0].properties.dealname, 'Initech renewal 2027');
    const task = await hs.crm.objects.tasks.basicApi.create({
      properties: {
        hs_timestamp: new Date().toISOString(),
        hs_task_subject: 'Call back',
        hs_task_body: 'Payment blocker [ref:t1]',
        hubspot_owner_id: '9001',
      },
      associations: [
        { to: { id: '503' }, types: [{ associationCategory: TaskAssociationCategory.HubspotDefined, associationTypeId: 204 }] },
      ],
    });
    const byMarker = await hs.crm.objects.tasks.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'hs_task_body', operator: TaskFilterOperator.ContainsToken, value: 't1' }] }],
      properties: ['hs_task_body'],
      limit: 1,
      sorts: [],
      after: '0',
    });
    assert.equal(byMarker.results[0]?.id, task.id);
  });
});
