import assert from 'node:assert/strict';
import { startSandbox, rejectsWithType, type TestSandbox } from './helpers';
import { decodeJwtClaims } from '../../src/connectors/skyfire';

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

  it('reuses a live token with the same buyerTag instead of reserving funds twice', async () => {
    const first = await sb.clients.skyfire.createTokenOnce({ type: 'pay', buyerTag: 'case-2/refund.pay', tokenAmount: '20.00' });
    const second = await sb.clients.skyfire.createTokenOnce({ type: 'pay', buyerTag: 'case-2/refund.pay', tokenAmount: '20.00' });
    assert.equal(second.reused, true);
    assert.equal(second.tokenId, first.tokenId);
    assert.equal((await sb.clients.skyfire.getBalance()).heldAmount, '20.000000');
    assert.equal((await sb.records('skyfire', (r) => r.method === 'POST')).length, 1);
  });

  it('finds the token an earlier create applied but whose response was dropped', async () => {
    await sb.faults('skyfire', { dropNext: 1 });
    await rejectsWithType(sb.clients.skyfire.createToken({ type: 'kya', buyerTag: 'case-3/kya' }), 'TransientError');
    const again = await sb.clients.skyfire.createTokenOnce({ type: 'kya', buyerTag: 'case-3/kya' });
    assert.equal(again.reused, true);
    assert.equal((await sb.records('skyfire', (r) => r.method === 'POST')).length, 1);
  });

  it('reports a wallet too low as InsufficientFundsError (PAYMENT_ERROR), set through the control endpoint', async () => {
    await sb.control('/skyfire/wallet', { balance: '5.00' });
    await rejectsWithType(sb.clients.skyfire.createToken({ type: 'pay', buyerTag: 'case-4/pay', tokenAmount: '40.00' }), 'InsufficientFundsError', (e) => {
      assert.equal(e.code, 'PAYMENT_ERROR');
      assert.equal(e.nonRetryable, true);
    });
  });

  it('reports a bad request as ValidationError (VALIDATION_ERROR) and refuses a malformed amount before sending', async () => {
    await rejectsWithType(sb.clients.skyfire.createToken({ type: 'kya', buyerTag: 'x', expiresAt: 5 }), 'ValidationError', (e) => assert.equal(e.code, 'VALIDATION_ERROR'));
    const before = (await sb.records('skyfire')).length;
    await rejectsWithType(sb.clients.skyfire.createToken({ type: 'pay', buyerTag: 'x', tokenAmount: '-1' }), 'ValidationError');
    assert.equal((await sb.records('skyfire')).length, before);
  });
});
