import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { startSandbox, rejectsWithType, type TestSandbox } from './helpers';
import { NON_RETRYABLE_CONNECTOR_ERRORS, parseRetryAfter, RateLimitedError } from '../../src/connectors/errors';
import { SkyfireClient } from '../../src/connectors/skyfire';

describe('connector error classification (against the sandbox)', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startSandbox();
  });
  beforeEach(() => sb.reset());
  after(() => sb.close());

  it('turns a 429 into a retryable RateLimitedError whose next retry delay is the Retry-After', async () => {
    await sb.faults('skyfire', { rateLimitNext: 1, retryAfterSeconds: 7 });
    await rejectsWithType(sb.clients.skyfire.getBalance(), 'RateLimitedError', (e) => {
      assert.equal(e.nonRetryable, false);
      assert.equal(e.nextRetryDelay, 7000);
    });
    // The fault was one-shot: the next call succeeds.
    assert.equal((await sb.clients.skyfire.getBalance()).available, '500.000000');
  });

  it('turns a 5xx into a retryable TransientError', async () => {
    await sb.faults('quickbooks', { failNext: 1 });
    await rejectsWithType(sb.clients.quickbooks.get('Invoice', '1001'), 'TransientError', (e) => {
      assert.equal(e.nonRetryable, false);
      assert.equal(e.status, 503);
    });
  });

  it('turns a connection closed before the response into a retryable TransientError', async () => {
    await sb.faults('zendesk', { dropNext: 1 });
    await rejectsWithType(sb.clients.zendesk.updateTicket(9001, { additional_tags: ['x'] }), 'TransientError');
  });

  it('turns bad credentials into a non-retryable AuthError', async () => {
    const bad = new SkyfireClient({ ...sb.config.connectors.skyfire, token: 'wrong-key' });
    await rejectsWithType(bad.getBalance(), 'AuthError', (e) => {
      assert.equal(e.nonRetryable, true);
      assert.equal(e.code, 'NOT_AUTHORIZED');
    });
  });

  it('adds latency when asked, and the errors are Temporal ApplicationFailures', async () => {
    await sb.faults('skyfire', { latencyMs: 150 });
    const t0 = Date.now();
    await sb.clients.skyfire.getBalance();
    assert.ok(Date.now() - t0 >= 140);
    const err = new RateLimitedError({ system: 'hubspot', status: 429 }, 'x', 1000);
    assert.ok(err instanceof ApplicationFailure);
    assert.equal(err.type, 'RateLimitedError');
    assert.equal(err.name, 'RateLimitedError');
  });

  it('applies fault rates (5xx and 429) probabilistically', async () => {
    sb.sandbox.state.random = () => 0.1;
    await sb.faults('hubspot', { errorRate: 0.5 });
    await rejectsWithType(sb.clients.hubspot.getOwner('9001'), 'TransientError');
    await sb.faults('hubspot', { rateLimitRate: 0.5, retryAfterSeconds: 2 });
    await rejectsWithType(sb.clients.hubspot.getOwner('9001'), 'RateLimitedError', (e) => assert.equal(e.nextRetryDelay, 2000));
    sb.sandbox.state.random = () => 0.9;
    assert.equal((await sb.clients.hubspot.getOwner('9001')).id, '9001');
    sb.sandbox.state.random = Math.random;
  });

  it('lists exactly the permanent error types as non-retryable', () => {
    assert.deepEqual([...NON_RETRYABLE_CONNECTOR_ERRORS].sort(), [
      'AuthError',
      'BusinessRuleError',
      'InsufficientFundsError',
      'NotFoundError',
      'UnverifiedRecipientError',
      'ValidationError',
    ]);
    assert.ok(!NON_RETRYABLE_CONNECTOR_ERRORS.includes('RateLimitedError' as never));
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000), 5000);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});
