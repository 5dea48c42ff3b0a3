/**
 * The scheduled reconciliation (docs/workflows.md, "Reconciliation"): the money ledger against the
 * systems of record, run by the `reconcileLedger` workflow that the Temporal Schedule
 * `ledger-reconciliation` starts every LEDGER_RECONCILE_INTERVAL.
 *
 * - **QuickBooks.** Every RefundReceipt and CreditMemo of the realm (all pages; a balance credit's
 *   CreditMemo included, which settles its pending entry only once applied to the invoice) is attributed to a
 *   ledger entry through its DocNumber, which the money path writes as the entry's `ref` (a
 *   structured field, never free text). A record no entry names is a finding (a refund recorded
 *   by hand, or by anything but the ledger); a settled entry whose record is gone or whose amount,
 *   currency or customer differs is a finding; a pending QuickBooks-route entry whose record exists
 *   is settled on it (its case died before it could), and one with no record, whose case is closed
 *   and which nobody touched for longer than the money activity may run, is released.
 * - **Skyfire.** Each pending Skyfire-route entry with a pay token is settled or released on the
 *   token's charges (`settleOnCharges`, the case's own rule); an entry whose token create may have
 *   reached Skyfire with its answer lost (stage `creating`) is a finding: only a person can look.
 *
 * Every finding puts a hold on the QuickBooks customer (automated money stops there until a
 * person clears it: `npm run ledger -- clear`), raises a finance alert in Slack and counts in
 * `billing_ledger_findings{kind}`; a finding already recorded (cleared or not) is never raised
 * again. The hold is written first: money stops even if Slack is down, and an open hold whose
 * alert was not confirmed is alerted again at the next run.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QboTxn, QuickBooksClient } from '../connectors/quickbooks';
import type { SkyfireClient } from '../connectors/skyfire';
import type { Ledger } from '../ledger/store';
import type { LedgerEntry, LedgerHold } from '../ledger/entries';
import { ACTIVITY_OPTIONS } from '../temporal/activity-retry';
import { formatMoney } from '../domain/money';
import type { StepInput } from '../domain/records';
import type { FinanceAlertView, SlackMessageRef } from '../domain/views';
import { settleOnCharges } from './money';
import { log, toMinor } from './support';

export const LEDGER_FINDINGS_METRIC = 'billing_ledger_findings';
export const LEDGER_OPEN_HOLDS_METRIC = 'billing_ledger_open_holds';
export const LEDGER_RECONCILED_METRIC = 'billing_ledger_reconciled';

/** What a finding is about (the metric's `kind` label; the prefix of the hold's `finding`). */
export type FindingKind = 'unattributed_record' | 'difference' | 'token_outcome_unknown' | 'unrecorded_charge' | 'card_refund_unknown';

export interface ReconcileFinding {
  kind: FindingKind;
  /** Stable identity (`<kind>:<what>`): the same finding is raised once. */
  finding: string;
  customerId: string;
  detail: string;
}

/** What one run did (workflow history: ids, refs and amounts only). */
export interface ReconcileReport {
  realm: string;
  /** QuickBooks RefundReceipts and CreditMemos compared. */
  records: number;
  /** Ledger entries compared. */
  entries: number;
  /** Entry refs settled or released by this run, with the evidence. */
  settled: { ref: string; evidence: string }[];
  released: { ref: string; evidence: string }[];
  /** Findings raised by this run (each put a hold on its customer). */
  findings: ReconcileFinding[];
  /** Finance alerts posted by this run (new holds, and open ones whose earlier alert was not confirmed). */
  alerted: number;
  /** Holds nobody has cleared yet, after this run. */
  openHolds: number;
}

export interface ReconcileActivities {
  /** Compares the ledger with QuickBooks and Skyfire, settles or releases on evidence, raises findings. */
  reconcileLedger(input: { step: string }): Promise<ReconcileReport>;
}

export interface ReconcileDeps {
  quickbooks: QuickBooksClient;
  skyfire: Pick<SkyfireClient, 'getTokenCharges'>;
  ledger: Ledger;
  /** Describes case workflows (a pending entry is resolved only once its case is closed). */
  temporal: { client: Client };
  /** The finance channel (the worker's policy now). */
  financeChannel: () => string;
  /** The Slack path every finance alert takes (src/activities/slack.ts). */
  postFinanceAlert: (input: StepInput & { channel: string; view: FinanceAlertView }) => Promise<SlackMessageRef>;
  now?: () => number;
}

const ENTITIES = ['RefundReceipt', 'CreditMemo'] as const;
type Entity = (typeof ENTITIES)[number];
const entityOfKind = (kind: LedgerEntry['kind']): Entity => (kind === 'refund_receipt' ? 'RefundReceipt' : 'CreditMemo');

/**
 * How long after its last change a pending entry of a closed case may still be written by an
 * attempt already running: the money activity's schedule-to-close timeout (no attempt outlives it).
 */
export function moneyActivityWindowMs(): number {
  const t = ACTIVITY_OPTIONS.money.scheduleToCloseTimeout;
  const m = /^(\d+)\s*(second|minute|hour)s?$/.exec(String(t));
  if (!m) throw new Error(`unreadable money scheduleToCloseTimeout ${String(t)}`);
  return Number(m[1]) * { second: 1000, minute: 60_000, hour: 3_600_000 }[m[2] as 'second' | 'minute' | 'hour'];
}

const kindOf = (finding: string): FindingKind => finding.slice(0, finding.indexOf(':')) as FindingKind;

const KIND_TITLE: Record<FindingKind, string> = {
  unattributed_record: 'a QuickBooks record nobody can attribute',
  difference: 'the ledger and QuickBooks differ',
  token_outcome_unknown: 'a Skyfire pay token may exist that nobody can see',
  unrecorded_charge: 'money moved (Skyfire, a card refund, a confirmed return) with no QuickBooks record',
  card_refund_unknown: 'a refund returned by card or by a person whose outcome nobody saw',
};

export function createReconcileActivities(deps: ReconcileDeps): ReconcileActivities {
  const { ledger } = deps;
  const qbo = deps.quickbooks;
  const now = deps.now ?? Date.now;

  return {
    async reconcileLedger({ step }) {
      const realm = qbo.realmId;
      const ctx = Context.current();
      const report: ReconcileReport = { realm, records: 0, entries: 0, settled: [], released: [], findings: [], alerted: 0, openHolds: 0 };
      const quiet = moneyActivityWindowMs();
      const closed = new Map<string, Promise<boolean>>();
      /** Whether the case can no longer act on its entry: its workflow is not running (or is gone). */
      const caseClosed = (caseId: string) => {
        let p = closed.get(caseId);
        if (!p) {
          p = deps.temporal.client.workflow
            .getHandle(caseId)
            .describe()
            .then((d) => d.status.name !== 'RUNNING')
            .catch((err: unknown) => {
              if (err instanceof WorkflowNotFoundError) return true;
              throw err;
            });
          closed.set(caseId, p);
        }
        return p;
      };
      const idle = (e: LedgerEntry) => now() - Date.parse(e.updatedAt) > quiet;
      const raised: ReconcileFinding[] = [];
      const raise = (kind: FindingKind, what: string, customerId: string, detail: string) =>
        raised.push({ kind, finding: `${kind}:${what}`, customerId, detail: detail.slice(0, 1000) });

      // --- QuickBooks: every record, attributed by DocNumber = an entry's ref. ---
      // QuickBooks first, the ledger second: an entry is written before its record, so every record
      // read here that the money path wrote already has its entry in what is read next.
      const records = new Map<Entity, QboTxn[]>();
      for (const entity of ENTITIES) records.set(entity, await qbo.queryAll<QboTxn>(entity));
      const entries = await ledger.entries(realm);
      report.entries = entries.length;
      const byRef = new Map(entries.map((e) => [e.ref, e]));
      report.records = [...records.values()].reduce((n, r) => n + r.length, 0);
      ctx.heartbeat({ phase: 'quickbooks read', records: report.records });
      /** Asked again right before a finding or a release: a case may have written it since the records were read. */
      const recordedNow = async (entity: Entity, ref: string) => (await qbo.query<QboTxn>(entity, { DocNumber: ref }, 1)).length > 0;
      const recordById = (entity: Entity, id: string) => records.get(entity)!.find((t) => t.Id === id);
      const recordByRef = (entity: Entity, ref: string) => records.get(entity)!.find((t) => t.DocNumber === ref);
      const currencyOf = (t: QboTxn) => t.CurrencyRef?.value ?? 'USD';
      const shown = (t: QboTxn) => formatMoney(toMinor(t.TotalAmt, currencyOf(t)), currencyOf(t));
      const describe = (entity: Entity, t: QboTxn) => `QuickBooks ${entity} ${t.Id} (DocNumber ${t.DocNumber ?? 'none'}, ${shown(t)})`;
      /** How the record differs from what the entry says moved; empty when it matches. */
      const differences = (e: LedgerEntry, t: QboTxn, expectedMinor: number): string[] => {
        const out: string[] = [];
        if (currencyOf(t) !== e.currency) out.push(`currency ${currencyOf(t)}, the ledger ${e.currency}`);
        else if (toMinor(t.TotalAmt, e.currency) !== expectedMinor)
          out.push(`amount ${shown(t)}, the ledger ${formatMoney(expectedMinor, e.currency)}`);
        if (t.CustomerRef?.value !== e.customerId) out.push(`customer ${t.CustomerRef?.value ?? 'none'}, the ledger ${e.customerId}`);
        return out;
      };

      for (const entity of ENTITIES) {
        for (const t of records.get(entity)!) {
          const e = t.DocNumber ? byRef.get(t.DocNumber) : undefined;
          if (e && entityOfKind(e.kind) === entity) continue; // compared from the entry's side below
          // Recorded by us but renamed since: the entry still names the record by its id.
          const owner = entries.find((x) => x.recordId === t.Id && x.recordEntity === entity);
          if (owner) {
            raise(
              'difference',
              `${entity}:${t.Id}`,
              owner.customerId,
              `${describe(entity, t)} records ledger entry ${owner.ref}, but its DocNumber no longer names the entry`,
            );
            continue;
          }
          raise(
            'unattributed_record',
            `${entity}:${t.Id}`,
            t.CustomerRef?.value ?? 'unknown',
            `${describe(entity, t)} on customer ${t.CustomerRef?.value ?? 'unknown'} matches no ledger entry: a refund or credit recorded outside the money path (by hand?), which nobody can attribute to an invoice`,
          );
        }
      }

      for (const e of entries) {
        const entity = entityOfKind(e.kind);
        const t = (e.recordId ? recordById(entity, e.recordId) : undefined) ?? recordByRef(entity, e.ref);
        if (e.state === 'settled') {
          if (!t) {
            // Written after the records were read, settled before the entries were: look again.
            if (e.recordId) {
              if (!(await qbo.find<QboTxn>(entity, e.recordId)))
                raise(
                  'difference',
                  `${e.ref}:missing`,
                  e.customerId,
                  `ledger entry ${e.ref} settled ${formatMoney(e.settledMinor, e.currency)} with QuickBooks ${entity} ${e.recordId}, which QuickBooks no longer has`,
                );
            } else if (e.route !== 'quickbooks' && (await caseClosed(e.caseId)) && !(await recordedNow(entity, e.ref)))
              // Money left outside QuickBooks (settled on its evidence) and the case that was to record it is closed.
              raise(
                'unrecorded_charge',
                e.ref,
                e.customerId,
                `ledger entry ${e.ref} settled ${formatMoney(e.settledMinor, e.currency)} ${
                  e.route === 'skyfire'
                    ? `on Skyfire pay token ${e.payTokenId ?? '?'}`
                    : e.route === 'qb_payments'
                      ? `on QuickBooks Payments refund ${e.refundId ?? '?'} of charge ${e.chargeId ?? '?'}`
                      : 'on a confirmed return outside the service'
                } (${e.evidence ?? ''}), and case ${e.caseId} is closed without a QuickBooks record: record the ${entity} by hand with DocNumber ${e.ref}`,
              );
            continue;
          }
          const diff = differences(e, t, e.settledMinor);
          if (diff.length > 0) {
            raise(
              'difference',
              `${e.ref}:${entity}:${t.Id}`,
              e.customerId,
              `${describe(entity, t)} differs from ledger entry ${e.ref}: ${diff.join('; ')}`,
            );
            continue;
          }
          if (!e.recordId) await ledger.attachRecord(e.key, { entity, id: t.Id });
          continue;
        }
        if (e.state === 'released') {
          if (t)
            raise(
              'difference',
              `${e.ref}:released`,
              e.customerId,
              `ledger entry ${e.ref} was released (${e.evidence ?? 'no evidence'}), yet ${describe(entity, t)} records it`,
            );
          continue;
        }
        // Pending.
        if (e.route === 'quickbooks') {
          if (t) {
            const diff = differences(e, t, e.amountMinor);
            if (diff.length > 0) {
              raise(
                'difference',
                `${e.ref}:${entity}:${t.Id}`,
                e.customerId,
                `${describe(entity, t)} differs from pending ledger entry ${e.ref}: ${diff.join('; ')}`,
              );
              continue;
            }
            // A credit against an invoice's balance counts once applied to it (no credit remaining on the memo).
            if (e.kind === 'balance_credit' && toMinor(t.RemainingCredit ?? t.Balance ?? 0, e.currency) > 0) {
              if (idle(e) && (await caseClosed(e.caseId)))
                raise(
                  'difference',
                  `${e.ref}:unapplied`,
                  e.customerId,
                  `${describe(entity, t)} was written for ledger entry ${e.ref} to credit invoice ${e.invoiceDoc ?? e.invoiceId ?? '?'}, but it is not applied to the invoice and case ${e.caseId} is closed: apply it to the invoice (a payment of 0 linking both) or delete it`,
                );
              continue;
            }
            const evidence = `QuickBooks ${entity} ${t.Id} found by DocNumber ${e.ref}${e.kind === 'balance_credit' ? ', applied' : ''} (reconciliation)`;
            await ledger.settle(e.key, { settledMinor: e.amountMinor, evidence, record: { entity, id: t.Id } });
            report.settled.push({ ref: e.ref, evidence });
            continue;
          }
          if (idle(e) && (await caseClosed(e.caseId))) {
            // Asked once more right before: no attempt of the closed case can still write it.
            if (await recordedNow(entity, e.ref)) continue; // written meanwhile: the next run settles it
            const evidence = `QuickBooks has no record ${e.ref} and case ${e.caseId} is closed`;
            await ledger.release(e.key, evidence);
            report.released.push({ ref: e.ref, evidence });
          }
          continue;
        }
        if (e.route === 'qb_payments' || e.route === 'owned') {
          // A card refund may have been issued (its answer lost), or a person may have returned the
          // money without confirming it, while the case could no longer say so: never released
          // here; a person checks where the money went.
          if (!t && idle(e) && (await caseClosed(e.caseId)))
            raise(
              'card_refund_unknown',
              e.ref,
              e.customerId,
              e.route === 'owned'
                ? `ledger entry ${e.ref} (${formatMoney(e.amountMinor, e.currency)}, case ${e.caseId}) was to be returned by a person on the customer's payment platform and nobody confirmed it before the case closed: check whether the money was returned`
                : `ledger entry ${e.ref} (${formatMoney(e.amountMinor, e.currency)}, case ${e.caseId}) is pending on QuickBooks Payments charge ${e.chargeId ?? '?'}${e.refundId ? ` (refund ${e.refundId} ${e.refundStatus ?? ''})` : ''} and its case is closed: check the charge's refunds in QuickBooks Payments`,
            );
          else if (t)
            raise(
              'difference',
              `${e.ref}:${entity}:${t.Id}`,
              e.customerId,
              `${describe(entity, t)} records pending ledger entry ${e.ref} before its money was seen returned`,
            );
          continue;
        }
        // Pending, Skyfire route.
        if (t) {
          raise(
            'difference',
            `${e.ref}:${entity}:${t.Id}`,
            e.customerId,
            `${describe(entity, t)} records pending ledger entry ${e.ref} before Skyfire showed its charge`,
          );
          continue;
        }
        if (e.payTokenId) {
          const r = await settleOnCharges(ledger, deps.skyfire, e);
          if (r.state === 'settled' || r.state === 'released') {
            const after = await ledger.get(e.key);
            const item = { ref: e.ref, evidence: after?.evidence ?? '' };
            (r.state === 'settled' ? report.settled : report.released).push(item);
            if (r.state === 'settled' && (await caseClosed(e.caseId)) && !(await recordedNow(entity, e.ref)))
              raise(
                'unrecorded_charge',
                e.ref,
                e.customerId,
                `ledger entry ${e.ref} settled ${formatMoney(r.settled.amountMinor, r.settled.currency)} on Skyfire pay token ${e.payTokenId} (${item.evidence}), and case ${e.caseId} is closed without a QuickBooks record: record the ${entity} by hand with DocNumber ${e.ref}`,
              );
          }
          continue;
        }
        if (e.tokenStage === 'creating' && idle(e)) {
          raise(
            'token_outcome_unknown',
            e.ref,
            e.customerId,
            `ledger entry ${e.ref} (${formatMoney(e.amountMinor, e.currency)}, case ${e.caseId}): a Skyfire pay token create may have reached Skyfire and its answer was lost; Skyfire offers no way to find the token, so a person checks the Skyfire dashboard (buyerTag of case ${e.caseId})`,
          );
          continue;
        }
        if (e.tokenStage === 'none' && idle(e) && (await caseClosed(e.caseId))) {
          const evidence = `no Skyfire pay token was created for ${e.ref} and case ${e.caseId} is closed`;
          await ledger.release(e.key, evidence);
          report.released.push({ ref: e.ref, evidence });
        }
      }
      ctx.heartbeat({ phase: 'compared', findings: raised.length });

      // --- Findings: a hold on the customer first (money stops even if Slack is down), once per finding. ---
      const meter = ctx.metricMeter;
      const findings = meter.createCounter(
        LEDGER_FINDINGS_METRIC,
        undefined,
        'Reconciliation findings raised (each holds automated money on its customer)',
      );
      for (const f of raised) {
        if (await ledger.knownFinding(realm, f.customerId, f.finding)) continue;
        const { added } = await ledger.addHold({ realm, customerId: f.customerId, finding: f.finding, detail: f.detail });
        if (!added) continue;
        report.findings.push(f);
        findings.add(1, { kind: f.kind });
        log('reconciliation finding', { kind: f.kind, finding: f.finding, customerId: f.customerId });
      }
      const transitions = meter.createCounter(
        LEDGER_RECONCILED_METRIC,
        undefined,
        'Pending ledger entries the reconciliation settled or released on evidence',
      );
      if (report.settled.length) transitions.add(report.settled.length, { transition: 'settled' });
      if (report.released.length) transitions.add(report.released.length, { transition: 'released' });

      // --- Finance alerts for every open hold not yet confirmed alerted (this run's and any earlier one's). ---
      for (const h of await ledger.holdsToAlert(realm)) {
        await deps.postFinanceAlert({
          step: `${step}.hold.${h.id}`,
          channel: deps.financeChannel(),
          view: alertView(h, ctx.info.workflowExecution?.workflowId ?? 'reconciliation'),
        });
        await ledger.markHoldAlerted(h.id);
        report.alerted++;
      }
      report.openHolds = (await ledger.holds(realm)).length;
      meter
        .createGauge(
          LEDGER_OPEN_HOLDS_METRIC,
          'int',
          undefined,
          'Reconciliation holds nobody has cleared yet (automated money stops on their customers)',
        )
        .set(report.openHolds, { realm });
      log('reconciliation done', {
        records: report.records,
        entries: report.entries,
        settled: report.settled.length,
        released: report.released.length,
        findings: report.findings.length,
        openHolds: report.openHolds,
      });
      return report;
    },
  };
}

/** The finance alert of a hold: what was found, with the record or entry (ids, refs, amounts; never names or contact data). */
function alertView(h: LedgerHold, workflowId: string) {
  const kind = kindOf(h.finding);
  return {
    workflowId,
    title: `Ledger reconciliation: ${KIND_TITLE[kind] ?? kind}`,
    urgency: 'high' as const,
    noteLines: [
      h.detail,
      `Automated refunds and credits for QuickBooks customer ${h.customerId} are held until a person clears hold ${h.id}: \`npm run ledger -- clear ${h.id} --by <name> --note <what was done>\`.`,
    ],
    fields: [
      { label: 'Finding', value: kind },
      { label: 'QuickBooks customer', value: h.customerId },
      { label: 'Hold', value: String(h.id) },
    ],
    mentions: [],
    links: [],
  };
}
