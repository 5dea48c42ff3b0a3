/**
 * Classification: which billing cases a call becomes (docs/product.md §4). DialNexa's named intents
 * decide, unless the confidence is below the configured threshold; a call that sounds like money
 * but names no intent goes to triage, where a person picks the case; a call that does not touch
 * money at all starts nothing. Pure.
 */
import type { BillingFields, CaseType, SensitiveCategory } from '../domain/case';
import type { Intent } from './schema';

/** The result: the cases to start, or why there are none. */
export type Classification =
  | { kind: 'cases'; caseTypes: CaseType[]; candidateCaseTypes?: CaseType[]; reason: string }
  | { kind: 'not_billing'; reason: 'not a billing call' };

export interface ClassifyInput {
  intents: Intent[];
  intentConfidence?: number;
  /** Suppressed summary and transcript. */
  texts: (string | undefined)[];
  fields: BillingFields;
  suppressed: SensitiveCategory[];
}

// Words a call about money uses. Matching is on whole words, so "paid" matches but "unpaid leave" would too: that is fine, triage decides.
const BILLING_WORDS =
  /\b(invoices?|refunds?|refunded|billing|billed|bill|charges?|charged|chargebacks?|payments?|paid|pay|paying|subscriptions?|renewals?|renew|receipts?|balance|disputes?|disputed|overdue|past due|credit (?:memo|note)|wallet|card)\b/i;

/** Fields only a billing call fills. */
const MONEY_FIELDS: (keyof BillingFields)[] = [
  'amount',
  'invoiceNumber',
  'paymentId',
  'subscriptionId',
  'refundReason',
  'disputeReason',
  'creditRequest',
  'newBillingAddress',
  'dueDate',
  'paymentStatus',
];

/** True when the call touches money even though no intent was named. */
export function soundsLikeBilling(input: Pick<ClassifyInput, 'texts' | 'fields' | 'suppressed'>): boolean {
  // Someone read out card or bank details: a sensitive request that must reach a person.
  if (input.suppressed.length > 0) return true;
  if (MONEY_FIELDS.some((k) => input.fields[k] !== undefined)) return true;
  return input.texts.some((t) => t !== undefined && BILLING_WORDS.test(t));
}

export function classifyCall(input: ClassifyInput, triageConfidenceThreshold: number): Classification {
  const named = input.intents.filter((i): i is CaseType => i !== 'none');
  const candidates = named.filter((i) => i !== 'triage');
  if (named.includes('triage')) {
    return { kind: 'cases', caseTypes: ['triage'], candidateCaseTypes: candidates, reason: 'DialNexa asked for triage' };
  }
  if (candidates.length > 0) {
    if (input.intentConfidence !== undefined && input.intentConfidence < triageConfidenceThreshold) {
      return {
        kind: 'cases',
        caseTypes: ['triage'],
        candidateCaseTypes: candidates,
        reason: `intent confidence ${input.intentConfidence} below ${triageConfidenceThreshold}`,
      };
    }
    return { kind: 'cases', caseTypes: candidates, reason: 'intents named by DialNexa' };
  }
  if (soundsLikeBilling(input))
    return { kind: 'cases', caseTypes: ['triage'], candidateCaseTypes: [], reason: 'billing call without an intent' };
  return { kind: 'not_billing', reason: 'not a billing call' };
}
