import assert from 'node:assert/strict';
import { CASE_TYPES } from '../../../src/domain/case';
import { HANDOFF_MAPPING, HandoffMappingError, validateHandoffMapping } from '../../../src/policy/handoff';

describe('handoff mapping', () => {
  it('ships a complete mapping for every case type', () => {
    assert.deepEqual(Object.keys(validateHandoffMapping()).sort(), [...CASE_TYPES].sort());
  });

  it('refuses an incomplete mapping and names every gap', () => {
    const broken = { ...HANDOFF_MAPPING, refund_request: { ...HANDOFF_MAPPING.refund_request, owner: undefined, nextStep: ' ' } } as Record<
      string,
      unknown
    >;
    delete broken.triage;
    assert.throws(
      () => validateHandoffMapping(broken),
      (err: unknown) =>
        err instanceof HandoffMappingError &&
        JSON.stringify(err.missing) === JSON.stringify(['refund_request.owner', 'refund_request.nextStep', 'triage (no mapping)']) &&
        /refund_request\.owner/.test(err.message),
    );
  });
});
