import type { CaseType } from '../domain/case';

/**
 * A case's workflow id: derived from the DialNexa call id (the idempotency key) and the case type,
 * so a repeated webhook finds the same case instead of starting another.
 */
export function caseWorkflowId(callId: string, caseType: CaseType): string {
  return `case-${caseType}-${callId}`;
}
