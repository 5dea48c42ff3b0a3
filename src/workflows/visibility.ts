/**
 * A case's visibility: the search attributes the audit queries use (docs/audit.md) and the
 * current details the Web UI shows, kept in step with the case's state. Changes are staged and
 * sent as one upsert when the workflow task is about to end: each upsert is a history event, a
 * visibility write and a billable action, so a workflow task sends at most one, and none when
 * nothing changed.
 */
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { CaseInput, Urgency } from '../domain/case';
import type { CaseState } from '../domain/case-state';
import { waitingOn as waitingOnOf, type PendingApproval } from '../domain/decision';
import {
  AccountIdKey,
  AmountMinorKey,
  CallIdKey,
  CaseStatusKey,
  CaseTypeKey,
  CurrencyKey,
  OwnerKey,
  UrgencyKey,
  WaitingOnKey,
} from '../temporal/search-attributes';

export class CaseVisibility {
  /** Search-attribute values as last upserted (what visibility holds), by key name. */
  private readonly flushed = new Map<string, string>();
  /** Changed since the last upsert, not yet sent; `flush()` sends them as one command. */
  private pending = new Map<string, SearchAttributeUpdatePair>();

  constructor() {
    // What the intake set at start is already in visibility: only what differs gets upserted.
    for (const pair of workflowInfo().typedSearchAttributes.getAll()) this.flushed.set(pair.key.name, JSON.stringify(pair.value ?? null));
  }

  /**
   * Sends the staged search-attribute changes as one upsert. Call it before the workflow yields on
   * anything that is not an activity (timer, condition, child start, throw): activity calls made
   * through the runtime's proxies flush by themselves.
   */
  flush(): void {
    if (this.pending.size === 0) return;
    const pairs = [...this.pending.values()];
    this.pending = new Map();
    for (const pair of pairs) this.flushed.set(pair.key.name, JSON.stringify(pair.value ?? null));
    upsertSearchAttributes(pairs);
  }

  /** Keeps the pairs whose value differs from what visibility already holds, for the next flush. */
  stage(pairs: SearchAttributeUpdatePair[]): void {
    for (const pair of pairs) {
      const name = pair.key.name;
      const value = JSON.stringify(pair.value ?? null);
      // Back to what visibility holds: nothing to send for it; otherwise the latest value wins.
      if ((this.flushed.get(name) ?? 'null') === value) this.pending.delete(name);
      else this.pending.set(name, pair);
    }
  }

  /** Status, waiting-on (whom an open request waits on, src/domain/decision.ts), owner and urgency; the note as current details. */
  show(state: CaseState, open: PendingApproval | undefined, temporalNote: string): void {
    const waitingOn = open ? waitingOnOf(open) : [];
    const pairs: SearchAttributeUpdatePair[] = [
      { key: CaseStatusKey, value: state.status },
      { key: WaitingOnKey, value: waitingOn.length > 0 ? waitingOn : null },
      { key: UrgencyKey, value: state.handoff.urgency },
    ];
    if (state.handoff.owner) pairs.push({ key: OwnerKey, value: state.handoff.owner });
    this.stage(pairs);
    const pending = open
      ? `\nWaiting on: ${waitingOn.join(', ')} (${open.votes.length} vote(s), ${open.required} needed, request ${open.requestId})`
      : '';
    setCurrentDetails(`${temporalNote}${pending}`);
  }
}

/** What a case adds to the attributes the intake set at start. */
export function initialSearchAttributes(input: CaseInput, urgency: Urgency): SearchAttributeUpdatePair[] {
  const { fields } = input;
  const pairs: SearchAttributeUpdatePair[] = [
    { key: CaseTypeKey, value: input.caseType },
    { key: CallIdKey, value: input.call.callId },
    { key: UrgencyKey, value: urgency },
  ];
  if (fields.accountId) pairs.push({ key: AccountIdKey, value: fields.accountId });
  if (fields.amount) {
    pairs.push({ key: AmountMinorKey, value: fields.amount.amountMinor });
    pairs.push({ key: CurrencyKey, value: fields.amount.currency });
  }
  return pairs;
}
