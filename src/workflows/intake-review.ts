/**
 * The review a case asks for before it acts when the intake could not settle its call by itself
 * (issue 24 §1, §9): fields DialNexa sent that could not be read, or one field shared by several
 * requests of the call. A person sees each line ("DialNexa said `currency: euros`; we could not
 * read it") and either lets the case go ahead with what was read or stops it to handle the call by
 * hand. Nothing outside is written before that answer. Cases without intake notes skip it, so
 * their histories are unchanged.
 */
import { CaseStatus } from '../domain/case';
import { intakeReviewLines } from '../policy/intake-review';
import { APPROVE_REJECT, financeReview, requestApproval } from './approval';
import { humanDuration } from '../policy/format';
import type { CaseRuntime } from './case-runtime';
import { DecisionAction } from '../domain/decision';
import type { CaseState } from '../domain/case-state';

/** Asks a person about what the intake could not read; the case's final state when they stopped it, else undefined. */
export async function reviewIntake(rt: CaseRuntime): Promise<CaseState | undefined> {
  const { input } = rt;
  // Triage is itself a person's choice; it shows the same lines in its own request.
  if (input.caseType === 'triage') return undefined;
  const lines = intakeReviewLines(input.intake);
  if (lines.length === 0) return undefined;
  rt.facts.push(...lines);
  const shared = (input.intake?.shared?.length ?? 0) > 0;
  const closure = await requestApproval(rt, {
    kind: 'intake_review',
    step: 'intake.review',
    title: shared
      ? `Check before acting: one call, several requests sharing ${input.intake!.shared!.map((f) => f.field).join(', ')}`
      : 'Check before acting: part of the call could not be read',
    fields: [
      {
        label: 'If you go ahead',
        value: shared
          ? `This ${input.caseType.replace(/_/g, ' ')} uses ${input.intake!.shared!.map((f) => `${f.field} ${f.value}`).join(', ')}`
          : `This ${input.caseType.replace(/_/g, ' ')} runs with the fields that could be read; the others stay empty`,
      },
    ],
    actions: [
      { ...APPROVE_REJECT[0], label: 'Go ahead as read' },
      { ...APPROVE_REJECT[1], label: 'Stop: handle by hand' },
    ],
    countingAction: DecisionAction.Approve,
    ...financeReview(await rt.policy(), input.policy),
    required: 1,
    urgency: rt.state.handoff.urgency,
    nextStepAfterApproval: 'Carry out the case with the fields as read',
  });
  if (closure.kind === 'approved') {
    const who = closure.votes.map((v) => v.actor.name ?? v.actor.id).join(', ');
    rt.facts.push(`Fields as read confirmed by ${who}`);
    return undefined;
  }
  if (closure.kind === 'expired') {
    rt.setHandoff({ owner: rt.state.handoff.owner ?? 'finance', nextStep: 'A person handles this call by hand: the case did nothing' });
    return rt.finish(
      CaseStatus.Expired,
      `nobody reviewed the call within ${humanDuration(input.policy.approvalTimeoutMs)}: nothing was done`,
    );
  }
  const who = closure.vote.actor.name ?? closure.vote.actor.id;
  rt.setHandoff({ owner: closure.vote.actor.id });
  return rt.finish(CaseStatus.Rejected, `stopped at review by ${who}: to be handled by hand`, {
    nextStep: 'Handle this request by hand: the case did nothing',
  });
}
