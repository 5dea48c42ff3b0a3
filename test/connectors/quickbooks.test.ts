import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from './helpers';
import { QuickBooksClient, qboRequestId, type QboCustomer, type QboInvoice, type QboTxn } from '../../src/connectors/quickbooks';

describe('QuickBooks connector', () => {
  let sb: TestSandbox;
  const line = {
    Amount: 25,
    DetailType: 'SalesItemLineDetail',
    SalesItemLineDetail: { ItemRef: { value: '1' } },
    Description: 'Refund for INV-1001',
  };
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('reads an invoice by DocNumber and by id, with minorversion 75', async () => {
    const inv = await sb.clients.quickbooks.findInvoiceByDocNumber('INV-1001');
    assert.equal(inv?.Id, '1001');
    assert.equal(inv?.Balance, 120);
    const byId = await sb.clients.quickbooks.get<QboInvoice>('Invoice', '2001');
    assert.equal(byId.DocNumber, 'INV-2001');
    const recs = await sb.records('quickbooks');
    assert.ok(recs.every((r) => r.query.minorversion === '75'));
    assert.equal(await sb.clients.quickbooks.findInvoiceByDocNumber('INV-0000'), undefined);
  });

  it("finds the payments applied to an invoice: the customer's Payments queried by CustomerRef, kept when a line links the invoice", async () => {
    const qbo = sb.clients.quickbooks;
    assert.deepEqual(
      (await qbo.paymentsForInvoice('101', '1002')).map((p) => [p.Id, p.TotalAmt]),
      [
        ['3001', 450],
        ['3003', 450],
      ],
      'INV-1002 was paid twice',
    );
    assert.deepEqual(
      (await qbo.paymentsForInvoice('104', '4001')).map((p) => p.Id),
      ['3004'],
      'INV-4001 once; the same customer pays INV-4002 with other payments',
    );
    assert.deepEqual(await qbo.paymentsForInvoice('101', '4001'), [], "another customer's payments are not asked for");
    const queries = await sb.records('quickbooks', (r) => r.path.endsWith('/query'));
    assert.ok(queries.every((r) => /^select \* from Payment where CustomerRef = '\d+'/.test(String(r.query.query))));
  });

  it('sends an invoice with an empty octet-stream body and a requestid', async () => {
    const sent = await sb.clients.quickbooks.send<QboInvoice>('Invoice', '1001', 'billing@acme.example', 'rid-send-1');
    assert.equal(sent.EmailStatus, 'EmailSent');
    const [rec] = await sb.records('quickbooks', (r) => r.method === 'POST');
    assert.equal(rec.headers['content-type'], 'application/octet-stream');
    assert.equal(rec.query.requestid, 'rid-send-1');
  });

  it('replays the first response for a repeated requestid whose response was dropped, creating one RefundReceipt', async () => {
    const body = { CustomerRef: { value: '101' }, DepositToAccountRef: { value: '35' }, Line: [line] };
    const rid = qboRequestId('case-rr', 'refund.record');
    assert.ok(rid.length <= 50);
    await sb.faults('quickbooks', { dropNext: 1 });
    await rejectsWithType(sb.clients.quickbooks.create('RefundReceipt', body, rid), 'TransientError');
    const replay = await sb.clients.quickbooks.create<QboTxn>('RefundReceipt', body, rid);
    assert.equal(replay.TotalAmt, 25);
    const all = (await sb.control('/quickbooks/entities/RefundReceipt')) as QboTxn[];
    assert.equal(all.length, 1);
    assert.equal(all[0].Id, replay.Id);
  });

  it('classifies Fault codes: 2020 validation, 6140 business, 610 not found, 3200 auth', async () => {
    await rejectsWithType(
      sb.clients.quickbooks.create('RefundReceipt', { CustomerRef: { value: '101' }, Line: [line] }, 'r1'),
      'ValidationError',
      (e) => assert.equal(e.code, '2020'),
    );
    await sb.clients.quickbooks.create('CreditMemo', { CustomerRef: { value: '101' }, Line: [line], DocNumber: 'CM-1' }, 'r2');
    await rejectsWithType(
      sb.clients.quickbooks.create('CreditMemo', { CustomerRef: { value: '101' }, Line: [line], DocNumber: 'CM-1' }, 'r3'),
      'BusinessRuleError',
      (e) => assert.equal(e.code, '6140'),
    );
    await rejectsWithType(sb.clients.quickbooks.get('Invoice', '999999'), 'NotFoundError', (e) => assert.equal(e.code, '610'));
    const bad = new QuickBooksClient({ ...sb.config.connectors.quickbooks, token: 'expired' });
    await rejectsWithType(bad.get('Invoice', '1001'), 'AuthError', (e) => assert.equal(e.code, '3200'));
  });

  it('updates a customer sparsely and reports a stale SyncToken as retryable StaleSyncTokenError (5010)', async () => {
    const c = await sb.clients.quickbooks.get<QboCustomer>('Customer', '101');
    const updated = await sb.clients.quickbooks.sparseUpdateCustomer(
      '101',
      c.SyncToken,
      { BillAddr: { Line1: '2 Main St', City: 'Oakland', PostalCode: '94607', Country: 'US' } },
      'u1',
    );
    assert.equal(updated.BillAddr?.Line1, '2 Main St');
    assert.equal(updated.DisplayName, 'Acme Corp');
    assert.equal(updated.SyncToken, String(Number(c.SyncToken) + 1));
    await rejectsWithType(
      sb.clients.quickbooks.sparseUpdateCustomer('101', c.SyncToken, { BillAddr: { Line1: 'x' } }, 'u2'),
      'StaleSyncTokenError',
      (e) => {
        assert.equal(e.code, '5010');
        assert.equal(e.nonRetryable, false);
      },
    );
  });

  it('downloads an invoice PDF', async () => {
    const pdf = await sb.clients.quickbooks.pdf('Invoice', '1001');
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  });

  it('answers a throttle with 429 ThrottleExceeded as RateLimitedError', async () => {
    await sb.faults('quickbooks', { rateLimitNext: 1, retryAfterSeconds: 60 });
    await rejectsWithType(sb.clients.quickbooks.get('Invoice', '1001'), 'RateLimitedError', (e) => assert.equal(e.nextRetryDelay, 60_000));
  });
});
