/**
 * `triage` (docs/product.md §4): low-confidence or unclear intent. Slack asks a person which case this
 * is (or "not billing"); the chosen case then starts as its own workflow, with the id the intake
 * would have given it, so a repeated choice or webhook finds the same case.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { CASE_TYPES, CaseStatus, WORKFLOW_TYPE, type CaseInput, type CaseType } from '../domain/case';
import { CASE_ID_REUSE_POLICY, caseWorkflowId } from '../temporal/workflow-ids';
import { humanDuration } from '../policy/format';
import { requestApproval, financeReview } from './approval';
import { CaseRuntime } from './case-runtime';
import { describeRequest } from './case-ledger';
import { DecisionAction } from '../domain/decision';
import type { CaseState } from '../domain/case-state';
import { runCase } from './steps';
import { intakeReviewLines, notesAfterTriage } from '../policy/intake-review';
import { scrubContactDetails } from '../policy/billing-note';
import { unverifiedFactsText } from '../policy/wording';

const LABELS: Record<CaseType, string> = {
  invoice_resend: 'Invoice resend',
  renewal_failed: 'Failed renewal',
  refund_request: 'Refund',
  billing_details_correction: 'Billing details',
  payment_blocker: 'Payment blocker',
  collections: 'Collections',
  receipt_request: 'Receipt',
  charge_dispute: 'Dispute',
  triage: 'Triage',
};

/** The caller's lines of a (suppressed) transcript, cut short: the words a person reads to place the call. */
function callerWords(transcript: string | undefined, max = 600): string | undefined {
  if (!transcript) return undefined;
  const lines = transcript
    .split('\n')
    .filter((l) => /^\s*(caller|customer|user)\s*:/i.test(l))
    .map((l) => l.replace(/^\s*\w+\s*:\s*/, '').trim());
  const text = (lines.length ? lines : [transcript]).join(' / ');
  return text.length > max ? `${text.slice(0, max)}…` : text || undefined;
}

export async function triage(input: CaseInput): Promise<CaseState> {
  const rt: CaseRuntime = new CaseRuntime(input);
  return runCase(rt, async () => {
    const { policy } = input;
    const candidates = (input.candidateCaseTypes ?? []).filter((c) => c !== 'triage' && CASE_TYPES.includes(c));
    // The named intents first; every other case type stays choosable (the agent may have misheard).
    const choices = [...new Set([...candidates, ...CASE_TYPES.filter((c) => c !== 'triage')])];
    rt.facts.push(
      `Intent confidence ${input.intentConfidence ?? 'unknown'}${candidates.length ? `; DialNexa suggested ${candidates.join(', ')}` : ''}`,
    );
    if (input.call.summary) rt.facts.push(`Call summary: ${input.call.summary}`);
    // What the intake could not read or place, named for the person who chooses (issue 24 §1).
    const intakeLines = intakeReviewLines(input.intake);
    rt.facts.push(...intakeLines);
    const question = (input.intake?.unknownIntents?.length ?? 0) > 0;
    const words = callerWords(input.call.transcript) ?? input.call.summary;
    const closure = await requestApproval(rt, {
      kind: 'triage',
      step: 'triage.choice',
      title: question ? 'Billing question without a case type: which case is it, if any?' : 'Which billing case is this call?',
      fields: [
        { label: 'Suggested', value: candidates.length ? candidates.map((c) => LABELS[c]).join(', ') : 'none' },
        ...(question && words ? [{ label: 'The caller said', value: scrubContactDetails(words) }] : []),
        ...(intakeLines.length ? [{ label: 'Could not be read', value: intakeLines.join('\n').slice(0, 1900) }] : []),
      ],
      actions: [
        ...choices.map((c) => ({
          action: DecisionAction.ChooseCase,
          label: LABELS[c],
          caseType: c,
          ...(candidates.includes(c) ? { style: 'primary' as const } : {}),
        })),
        { action: DecisionAction.NotBilling, label: 'Not billing' },
      ],
      // Choosing is a closing action: one person decides which case it is.
      countingAction: DecisionAction.Approve,
      ...financeReview(await rt.policy(), policy),
      required: 1,
      urgency: rt.state.handoff.urgency,
    });
    if (closure.kind === 'expired')
      return rt.finish(CaseStatus.Expired, `nobody chose a case within ${humanDuration(policy.approvalTimeoutMs)}: nothing started`);
    if (closure.kind !== 'decided' || closure.action === DecisionAction.NotBilling || !closure.caseType) {
      rt.setHandoff({ nextStep: 'None: not a billing call' });
      return rt.finish(CaseStatus.Completed, 'not billing: no case started');
    }
    const chosen = closure.caseType;
    // The person settled the intent; what they did not settle (unreadable fields, shared ones) the case still reviews.
    const childNotes = notesAfterTriage(input.intake);
    let childInput: CaseInput = { ...input, caseType: chosen, candidateCaseTypes: undefined, intake: childNotes };
    if (rt.patched('triage-attests-chosen-case')) {
      // The chosen case's facts are triage's, under another workflow id: the worker attests them for
      // it, once triage's own attestation and the signed choice verify. Otherwise it runs unsigned
      // (nothing automated on it, flagged), never with triage's attestation.
      const vote = closure.vote;
      const requestId = rt.state.decisions.find((d) => d.proof?.mac === vote.proof?.mac && d.action === vote.action)?.requestId ?? '';
      const attested = await rt.acts.attestChosenCase({ input, chosen, requestId, vote });
      if (!attested.ok) rt.facts.push(unverifiedFactsText(attested.reason));
      childInput = { ...childInput, attestation: attested.ok ? attested.attestation : undefined };
    }
    const childId = caseWorkflowId(input.call.callId, chosen);
    rt.flush();
    try {
      await startChild(WORKFLOW_TYPE[chosen], {
        workflowId: childId,
        args: [childInput],
        // The chosen case outlives triage: it may wait days for its own approvals.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // As the intake starts cases: a case this call already ran (even closed) is not run again.
        workflowIdReusePolicy: CASE_ID_REUSE_POLICY,
        staticSummary: describeRequest(childInput),
      });
    } catch (err) {
      // Already started (a repeated webhook or an earlier attempt): the same case, nothing to do.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    rt.state.startedCase = { caseType: chosen, workflowId: childId };
    rt.setHandoff({ nextStep: `Case ${chosen} started (${childId})` });
    return rt.finish(CaseStatus.Completed, `chosen: ${chosen} by ${closure.vote.actor.name ?? closure.vote.actor.id}`);
  });
}
