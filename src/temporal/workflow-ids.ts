import type { CaseType } from '../domain/case';

/**
 * A case's workflow id: derived from the DialNexa call id (the idempotency key) and the case type,
 * so a repeated webhook finds the same case instead of starting another.
 */
export function caseWorkflowId(callId: string, caseType: CaseType): string {
  return `case-${caseType}-${callId}`;
}

/**
 * How a case's id may be reused, for every path that starts a case (the intake, triage): a closed
 * case is never run again for the same call, whether it completed, failed or was cancelled.
 */
export const CASE_ID_REUSE_POLICY = 'REJECT_DUPLICATE' as const;

/** A case's page in the Temporal Web UI: the link the intake answers with and the Slack Home tab shows. */
export function temporalUiUrl(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
