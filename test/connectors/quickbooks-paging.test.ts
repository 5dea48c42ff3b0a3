/**
 * QuickBooks as Intuit documents it: STARTPOSITION/MAXRESULTS paging (1000 rows a page at most),
 * the query clauses node-quickbooks sends, the fault shapes (lower-case gateway `fault`, XML
 * throttles with code 3001, sometimes with status 403), and 10 concurrent requests per realm.
 */
import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from './helpers';
import { describeQuickBooksError, QuickBooksClient, type QboCustomer } from '../../src/connectors/quickbooks';
import { createQuickBooksActivities } from '../../src/activities/quickbooks';
import { QBO_REALM } from '../../src/sandbox/systems/quickbooks/seed';

describe('QuickBooks paging, faults and concurrency', () => {
  let sb: TestSandbox;
  const qboUrl = () => `${sb.url}/quickbooks/v3/company/${QBO_REALM}`;
  const rawQuery = (query: string, token = 'sandbox-qbo-access-token') =>
    fetch(`${qboUrl()}/query?query=${encodeURIComponent(query)}&minorversion=75`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('pages a query with STARTPOSITION/MAXRESULTS past the 1000-row page limit', async () => {
    await sb.control('/quickbooks/customers/bulk', { count: 1500 });
    const all = await sb.clients.quickbooks.queryAll<QboCustomer>('Customer');
    assert.equal(all.length, 1507);
    assert.equal(new Set(all.map((c) => c.Id)).size, 1507, 'no row twice across pages');
    const queries = (await sb.records('quickbooks', (r) => r.path.endsWith('/query'))).map((r) => String(r.query.query));
    assert.deepEqual(
      queries.map((q) => /startposition (\d+) maxresults (\d+)$/.exec(q)?.slice(1)),
      [
        ['1', '1000'],
        ['1001', '1000'],
      ],
    );
    // A cap below the total stops early, with the right page size.
    assert.equal((await sb.clients.quickbooks.query<QboCustomer>('Customer', {}, 1200)).length, 1200);
  });

  it('the sandbox answers the documented clauses and refuses what QuickBooks refuses', async () => {
    await sb.control('/quickbooks/customers/bulk', { count: 30 });
    const body = async (q: string) => ((await (await rawQuery(q)).json()) as { QueryResponse: Record<string, unknown> }).QueryResponse;
    assert.equal((await body('SELECT COUNT(*) FROM Customer')).totalCount, 37);
    const page = await body('select * from Customer where Active = true orderby DisplayName desc startposition 3 maxresults 5');
    assert.equal((page.Customer as unknown[]).length, 5);
    assert.equal(page.startPosition, 3);
    assert.equal(((await body("select * from Customer where DisplayName in ('Acme Corp', 'Hooli')")).Customer as unknown[]).length, 2);
    assert.equal(((await body("select * from Customer where DisplayName like 'Bulk%'")).Customer as unknown[]).length, 30);
    assert.equal(((await body("select * from Invoice where DocNumber = 'INV-1001'")).Invoice as unknown[]).length, 1);
    // Without MAXRESULTS a page holds 100 rows; above 1000 QuickBooks still answers 1000.
    await sb.control('/quickbooks/customers/bulk', { count: 1200 });
    assert.equal(((await body('select * from Customer')).Customer as unknown[]).length, 100);
    assert.equal(((await body('select * from Customer maxresults 5000')).Customer as unknown[]).length, 1000);
    for (const bad of [
      "select * from Customer where DisplayName = 'a' or DisplayName = 'b'",
      'select * from Customer startposition 0',
      'delete from Customer',
    ]) {
      const res = await rawQuery(bad);
      assert.equal(res.status, 400, bad);
      assert.equal(((await res.json()) as { Fault: { Error: { code: string }[] } }).Fault.Error[0].code, '4000');
    }
  });

  it('finds the customer of an account past the first 1000 customers, and follows an edit of Notes', async () => {
    await sb.control('/quickbooks/customers/bulk', { count: 1500 });
    const acts = createQuickBooksActivities({ quickbooks: sb.clients.quickbooks });
    const far = await acts.getCustomer({ accountId: 'BULK-21400' });
    assert.equal(far?.id, '21400');
    assert.equal((await acts.getCustomer({ accountId: 'ACME-001' }))?.id, '101');
    // A person moves the account id to another customer in QuickBooks: the map is not trusted.
    await sb.control('/quickbooks/customer/21400/notes', { notes: 'account_id:BULK-MOVED' });
    await sb.control('/quickbooks/customer/102/notes', { notes: 'account_id:BULK-21400' });
    const before = (await sb.records('quickbooks')).length;
    assert.equal((await acts.getCustomer({ accountId: 'BULK-21400' }))?.id, '102');
    assert.equal((await acts.getCustomer({ accountId: 'BULK-MOVED' }))?.id, '21400');
    const after = await sb.records('quickbooks');
    assert.ok(after.length - before < 8, `refreshing read only the changes, not every customer (${after.length - before} requests)`);
    assert.equal(await acts.getCustomer({ accountId: 'NOBODY-1' }), null);
  });

  it("reads the gateway's lower-case fault bodies: 401 code 3200 and 403 code 3100 are AuthError", async () => {
    const bad = new QuickBooksClient({ ...sb.config.connectors.quickbooks, token: 'expired' });
    await rejectsWithType(bad.get('Invoice', '1001'), 'AuthError', (e) => {
      assert.equal(e.code, '3200');
      assert.match(e.message, /AuthenticationFailed/);
    });
    const otherRealm = new QuickBooksClient({ ...sb.config.connectors.quickbooks, realmId: '123' });
    await rejectsWithType(otherRealm.get('Invoice', '1001'), 'AuthError', (e) => assert.equal(e.code, '3100'));
  });

  it('classifies throttling by code 3001 in JSON or XML, also when it comes as a 403, with the documented 60 s wait', () => {
    const xml = (status: number) =>
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=${status}</Message><Detail>The request limit was reached.  Try again later</Detail></Error></Fault></IntuitResponse>`;
    for (const status of [429, 403])
      assert.deepEqual(describeQuickBooksError(status, xml(status)), {
        code: '3001',
        message: `SERVICE: message=ThrottleExceeded; errorCode=003001; statusCode=${status}`,
        kind: 'rate_limited',
        retryAfterMs: 60_000,
      });
    assert.equal(
      describeQuickBooksError(403, {
        fault: { error: [{ message: 'message=ThrottleExceeded; errorCode=003001; statusCode=403', code: '003001' }], type: 'SERVICE' },
      }).kind,
      'rate_limited',
    );
    assert.equal(
      describeQuickBooksError(401, {
        fault: {
          error: [{ message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', code: '3200' }],
          type: 'AUTHENTICATION',
        },
      }).code,
      '3200',
    );
    const generalAuth = `<IntuitResponse><Fault type="AuthenticationFault"><Error code="100"><Message>General Authentication Error</Message></Error></Fault></IntuitResponse>`;
    assert.equal(describeQuickBooksError(401, generalAuth).kind, 'auth');
  });

  it('an injected throttle arrives as XML and is a RateLimitedError with code 3001', async () => {
    await sb.faults('quickbooks', { rateLimitNext: 1, retryAfterSeconds: 5 });
    const raw = await rawQuery('select * from Invoice');
    assert.equal(raw.status, 429);
    assert.match(raw.headers.get('content-type') ?? '', /xml/);
    await sb.faults('quickbooks', { rateLimitNext: 1, retryAfterSeconds: 5 });
    await rejectsWithType(sb.clients.quickbooks.get('Invoice', '1001'), 'RateLimitedError', (e) => {
      assert.equal(e.code, '3001');
      assert.equal(e.nextRetryDelay, 5000);
    });
  });

  it('keeps at most 10 requests in flight per realm; the sandbox throttles the 11th', async () => {
    await sb.faults('quickbooks', { latencyMs: 150 });
    const direct = await Promise.all(Array.from({ length: 14 }, () => rawQuery('select * from Invoice')));
    assert.equal(direct.filter((r) => r.status === 429).length, 4, 'the sandbox enforces the documented limit');
    await sb.faults('quickbooks', { latencyMs: 150 });
    const before = (await sb.records('quickbooks')).length;
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, (_, i) => sb.clients.quickbooks.get('Invoice', ['1001', '2001', '3001'][i % 3])),
    );
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.message),
      [],
    );
    assert.equal((await sb.records('quickbooks')).slice(before).filter((r) => r.status === 429).length, 0);
  });

  it('a lower limit per process (QBO_MAX_CONCURRENT_REQUESTS) is honoured', async () => {
    await sb.faults('quickbooks', { latencyMs: 100 });
    const client = new QuickBooksClient(sb.config.connectors.quickbooks, { maxConcurrentRequests: 3 });
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 9 }, () => client.get('Invoice', '1001')));
    assert.ok(Date.now() - t0 >= 290, `9 requests, 3 at a time, 100 ms each take >= 300 ms (took ${Date.now() - t0})`);
    new QuickBooksClient(sb.config.connectors.quickbooks); // restore the default for the other tests
  });
});
