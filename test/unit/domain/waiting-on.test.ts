import assert from 'node:assert/strict';
import { handOffs, waitingOn, type ApprovalVote, type PendingApproval } from '../../../src/domain/decision';

const vote = (actor: string, action: ApprovalVote['action'], handTo?: string): ApprovalVote => ({
  actor: { id: actor },
  action,
  at: '2026-12-01T10:00:00.000Z',
  source: 'slack',
  ...(handTo ? { handTo } : {}),
});
const req = (
  votes: ApprovalVote[],
  required = 1,
  eligibleApprovers = ['DANA', 'SAM', 'KIM'],
): Pick<PendingApproval, 'eligibleApprovers' | 'votes' | 'required'> => ({ eligibleApprovers, votes, required });

describe('whom a request waits on', () => {
  it('without hand-offs: every eligible approver who has not answered', () => {
    assert.deepEqual(waitingOn(req([])), ['DANA', 'SAM', 'KIM']);
    assert.deepEqual(waitingOn(req([vote('DANA', 'approve')], 2)), ['SAM', 'KIM']);
  });

  it('after a hand-off: the person it was handed to, not the others', () => {
    const r = req([vote('DANA', 'hand_off', 'SAM')]);
    assert.deepEqual(waitingOn(r), ['SAM']);
    assert.deepEqual(handOffs(r), [{ from: 'DANA', to: 'SAM', at: '2026-12-01T10:00:00.000Z' }]);
    // Handed on again: the newest person; the ones who handed it are out.
    assert.deepEqual(waitingOn(req([vote('DANA', 'hand_off', 'SAM'), vote('SAM', 'hand_off', 'KIM')])), ['KIM']);
  });

  it('a hand-off cannot make up more approvals than the people it went to: the others stay on the list', () => {
    assert.deepEqual(waitingOn(req([vote('DANA', 'hand_off', 'SAM')], 2)), ['SAM', 'KIM']);
    assert.deepEqual(waitingOn(req([vote('KIM', 'approve'), vote('DANA', 'hand_off', 'SAM')], 2)), ['SAM']);
  });

  it('a person the policy no longer lists is not waited on, even if handed to', () => {
    assert.deepEqual(waitingOn(req([vote('DANA', 'hand_off', 'SAM')], 1, ['DANA', 'KIM'])), ['KIM']);
  });
});
