/**
 * The sandbox's QuickBooks Payments API driven with plain HTTP as Intuit documents it ("Refund
 * charges": `POST /quickbooks/v4/payments/charges/{id}/refunds`, a `Request-Id` header, the Java
 * SDK's `getRefund`), and through the service's connector, reached by the Payments API's own host.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { startSandbox, type TestSandbox } from '../connectors/helpers';

const BASE = '/quickbooks-payments/quickbooks/v4/payments';
const AUTH = { authorization: 'Bearer sandbox-qbo-access-token' };

describe('sandbox QuickBooks Payments API (charges and refunds)', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  const refund = (chargeId: string, body: unknown, requestId?: string, headers: Record<string, string> = AUTH) =>
    fetch(`${sb.url}${BASE}/charges/${chargeId}/refunds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, ...(requestId ? { 'request-id': requestId } : {}) },
      body: JSON.stringify(body),
    });

  it('refunds a charge once per Request-Id: the same Request-Id answers the first refund again', async () => {
    const id = randomUUID();
    const first = await refund('EMU441923001', { amount: 5.0, description: 'first refund', context: { recurring: false } }, id);
    assert.equal(first.status, 201);
    const a = (await first.json()) as { id: string; status: string; amount: string; created: string };
    assert.equal(a.status, 'ISSUED');
    assert.equal(a.amount, '5.00');
    assert.match(a.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const again = await refund('EMU441923001', { amount: 5.0 }, id);
    assert.equal(again.status, 201);
    assert.equal(((await again.json()) as { id: string }).id, a.id, 'the first refund, not a second');
    const read = await fetch(`${sb.url}${BASE}/charges/EMU441923001/refunds/${a.id}`, { headers: { ...AUTH, 'request-id': randomUUID() } });
    assert.equal(((await read.json()) as { status: string }).status, 'ISSUED');
    const charge = (await (await fetch(`${sb.url}${BASE}/charges/EMU441923001`, { headers: AUTH })).json()) as {
      amount: string;
      refundDetail: { totalRefunded: string };
    };
    assert.deepEqual([charge.amount, charge.refundDetail.totalRefunded], ['450.00', '5.00']);
  });

  it('never refunds more than the charge, refuses a request without Request-Id or token, answers 404 for an unknown charge', async () => {
    const over = await refund('EMU441923001', { amount: '450.01' }, randomUUID());
    assert.equal(over.status, 400);
    const err = (await over.json()) as { errors: { code: string; type: string; message: string; detail: string }[] };
    assert.equal(err.errors[0].type, 'invalid_request');
    assert.match(err.errors[0].detail, /450\.00 left/);
    assert.equal((await refund('EMU441923001', { amount: '1.00' })).status, 400, 'Request-Id is required');
    assert.equal((await refund('EMU441923001', { amount: '1.00' }, randomUUID(), {})).status, 401);
    assert.equal((await refund('NOPE', { amount: '1.00' }, randomUUID())).status, 404);
    // Two refunds that fit, a third that would not.
    assert.equal((await refund('EMU441923001', { amount: '400.00' }, randomUUID())).status, 201);
    assert.equal((await refund('EMU441923001', { amount: '50.00' }, randomUUID())).status, 201);
    assert.equal((await refund('EMU441923001', { amount: '0.01' }, randomUUID())).status, 400);
  });

  it('declines when told to, and keeps a PENDING refund until it has been read', async () => {
    await sb.control('/quickbooks-payments/charges/EMU441923002/behaviour', { nextRefundStatus: 'DECLINED' });
    const d = (await (await refund('EMU441923002', { amount: '10.00' }, randomUUID())).json()) as { status: string };
    assert.equal(d.status, 'DECLINED');
    await sb.control('/quickbooks-payments/charges/EMU441923002/behaviour', { nextRefundStatus: 'PENDING', pendingReads: 2 });
    const p = (await (await refund('EMU441923002', { amount: '10.00' }, randomUUID())).json()) as { id: string; status: string };
    assert.equal(p.status, 'PENDING');
    const read = async () =>
      ((await (await fetch(`${sb.url}${BASE}/charges/EMU441923002/refunds/${p.id}`, { headers: AUTH })).json()) as { status: string })
        .status;
    assert.equal(await read(), 'PENDING');
    assert.equal(await read(), 'ISSUED');
  });

  it('is reached by the Payments API host too, and the connector sends Request-Id and a decimal amount', async () => {
    // fetch will not send another Host: plain node:http does, as a vendor client on api.intuit.com would.
    const { port } = new URL(sb.url);
    const status = await new Promise<number>((resolve, reject) =>
      request(
        {
          host: '127.0.0.1',
          port,
          path: '/quickbooks/v4/payments/charges/EMU441923003',
          headers: { ...AUTH, host: 'sandbox.api.intuit.com' },
        },
        (res) => (res.resume(), resolve(res.statusCode ?? 0)),
      )
        .on('error', reject)
        .end(),
    );
    assert.equal(status, 200);
    const r = await sb.clients.quickbooksPayments.refundCharge('EMU441923003', { amount: '12.34', description: 'Refund' }, 'rid-1');
    assert.deepEqual([r.status, r.amount], ['ISSUED', '12.34']);
    const [rec] = await sb.records('quickbooks-payments', (x) => x.method === 'POST');
    assert.equal(rec.headers['request-id'], 'rid-1');
    assert.equal((rec.body as { amount: string }).amount, '12.34');
    const back = await sb.clients.quickbooksPayments.refundCharge('EMU441923003', { amount: '12.34' }, 'rid-1');
    assert.equal(back.id, r.id);
  });

  it('the seeded QuickBooks Payments carry their charge as CreditCardPayment.CreditChargeResponse.CCTransId', async () => {
    const p = await sb.clients.quickbooks.get<{ CreditCardPayment?: { CreditChargeResponse?: { CCTransId?: string } } }>('Payment', '3003');
    assert.equal(p.CreditCardPayment?.CreditChargeResponse?.CCTransId, 'EMU441923003');
    const other = await sb.clients.quickbooks.get<{ CreditCardPayment?: unknown }>('Payment', '3006');
    assert.equal(other.CreditCardPayment, undefined, 'a payment made another way has no charge');
  });
});
