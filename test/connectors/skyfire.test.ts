import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from './helpers';
import { decodeJwtClaims, readCharges } from '../../src/connectors/skyfire';

describe('Skyfire connector', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('reads the buyer wallet balance as decimal strings', async () => {
    const b = await sb.clients.skyfire.getBalance();
    assert.equal(b.available, '500.000000');
    assert.equal(b.heldAmount, '0.000000');
    const [rec] = await sb.records('skyfire');
    assert.equal(rec.path, '/api/v1/agents/balance');
    assert.equal(rec.headers['skyfire-api-key'], '[present]');
  });

  it('creates a pay token tagged with the case, which reserves funds', async () => {
    const t = await sb.clients.skyfire.createToken({ type: 'pay', buyerTag: 'case-1/refund.pay', tokenAmount: '12.50' });
    assert.equal(t.reused, false);
    const claims = decodeJwtClaims(t.token!);
    assert.equal(claims.btg, 'case-1/refund.pay');
    assert.equal(claims.jti, t.tokenId);
    assert.equal((await sb.clients.skyfire.getBalance()).heldAmount, '12.500000');
  });

  const sellerCharge = (token: string, chargeAmount?: string, key = 'sandbox-skyfire-seller-key') =>
    fetch(`${sb.url}/skyfire/api/v1/tokens/charge`, {
      method: 'POST',
      headers: { 'skyfire-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ token, ...(chargeAmount ? { chargeAmount } : {}) }),
    });

  it('moves money only when the seller charges the pay token; the buyer sees it through the token charges', async () => {
    const t = await sb.clients.skyfire.createToken({
      type: 'pay',
      buyerTag: 'case-2/refund.pay',
      tokenAmount: '20.00',
      expiresAt: Math.floor(Date.now() / 1000) + 600,
    });
    assert.equal(decodeJwtClaims(t.token!).exp, t.expiresAt);
    assert.deepEqual(await sb.clients.skyfire.getTokenCharges(t.tokenId), { charged: '0.000000', chargeIds: [] });
    assert.equal((await sb.clients.skyfire.getBalance()).available, '480.000000', 'reserved, not moved');
    assert.equal((await sellerCharge(t.token!, '20.00', 'sandbox-skyfire-buyer-key')).status, 403, 'a buyer key cannot charge');
    const res = await sellerCharge(t.token!, '15.00');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { amountCharged: '15.000000', remainingBalance: '5.000000' });
    assert.equal((await sellerCharge(t.token!, '6.00')).status, 402, 'no more than the remaining balance');
    const charges = await sb.clients.skyfire.getTokenCharges(t.tokenId);
    assert.equal(charges.charged, '15.000000');
    assert.equal(charges.chargeIds.length, 1);
    const b = await sb.clients.skyfire.getBalance();
    assert.equal(b.heldAmount, '5.000000');
    assert.equal(b.available, '480.000000', '15 left the wallet, 5 still held');
  });

  it('hands a pay token to the seller service, which charges it; a KYA token cannot be charged', async () => {
    const t = await sb.clients.skyfire.createToken({ type: 'pay', buyerTag: 'case-5/refund.pay', tokenAmount: '3.00' });
    await sb.clients.skyfire.handOver(sb.config.connectors.skyfire.sellerServiceUrl!, t.token!, {
      reference: 'case-5/refund.pay',
      amount: '3.00',
      currency: 'USD',
    });
    const hand = await sb.records('skyfire', (r) => r.path === '/seller-service/refunds');
    assert.equal(hand[0].headers['skyfire-pay-id'], '[present]', 'the JWT travels in skyfire-pay-id (and is not recorded)');
    for (let i = 0; i < 50 && (await sb.clients.skyfire.getTokenCharges(t.tokenId)).charged !== '3.000000'; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal((await sb.clients.skyfire.getTokenCharges(t.tokenId)).charged, '3.000000');
    const kya = await sb.clients.skyfire.createToken({ type: 'kya', buyerTag: 'case-5/kya' });
    assert.equal((await sellerCharge(kya.token!, '1.00')).status, 400);
  });

  it('offers no token listing (Skyfire documents none), and reads an unexpected charges answer as a TransientError, not as paid', async () => {
    const res = await fetch(`${sb.url}/skyfire/api/v1/tokens?buyerTag=x`, { headers: { 'skyfire-api-key': 'sandbox-skyfire-buyer-key' } });
    assert.equal(res.status, 404);
    assert.deepEqual(readCharges({ charges: [{ amount: '1.50', chargeId: 'c1' }, { amountCharged: '0.25' }] }), {
      charged: '1.750000',
      chargeIds: ['c1'],
    });
    assert.throws(() => readCharges({ status: 'ok' }), /no charges list/);
    assert.throws(() => readCharges({ charges: [{ amount: 'twelve' }] }), /no readable amount/);
  });

  it('a create whose response was dropped reserved funds once: the client cannot find it again (no listing)', async () => {
    await sb.faults('skyfire', { dropNext: 1 });
    await rejectsWithType(sb.clients.skyfire.createToken({ type: 'pay', buyerTag: 'case-3/pay', tokenAmount: '7.00' }), 'TransientError');
    assert.equal((await sb.clients.skyfire.getBalance()).heldAmount, '7.000000');
  });

  it('reports a wallet too low as InsufficientFundsError (PAYMENT_ERROR), set through the control endpoint', async () => {
    await sb.control('/skyfire/wallet', { balance: '5.00' });
    await rejectsWithType(
      sb.clients.skyfire.createToken({ type: 'pay', buyerTag: 'case-4/pay', tokenAmount: '40.00' }),
      'InsufficientFundsError',
      (e) => {
        assert.equal(e.code, 'PAYMENT_ERROR');
        assert.equal(e.nonRetryable, true);
      },
    );
  });

  it('reports a bad request as ValidationError (VALIDATION_ERROR) and refuses a malformed amount before sending', async () => {
    await rejectsWithType(sb.clients.skyfire.createToken({ type: 'kya', buyerTag: 'x', expiresAt: 5 }), 'ValidationError', (e) =>
      assert.equal(e.code, 'VALIDATION_ERROR'),
    );
    const before = (await sb.records('skyfire')).length;
    await rejectsWithType(sb.clients.skyfire.createToken({ type: 'pay', buyerTag: 'x', tokenAmount: '-1' }), 'ValidationError');
    assert.equal((await sb.records('skyfire')).length, before);
  });
});
