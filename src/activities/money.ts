/**
 * The one path money moves through (product.md §7). Every RefundReceipt and CreditMemo, for a
 * refund case or an accepted dispute, is written here, and the Skyfire leg runs between a check
 * here and the write here, under the same lock:
 *
 * 1. `lockMoney`: the invoice's lock (a `moneyLock` workflow, src/workflows/money-lock.ts), so
 *    money on one invoice moves one case at a time;
 * 2. `checkMoney` / `moveMoney`: re-read the invoice (owner, amount paid), the customer's currency
 *    and every refund or credit already recorded on the invoice, verify the approvals' proofs
 *    again, and apply the worker's policy as it is now (src/policy/money-rules.ts); `moveMoney`
 *    then writes with the case step's QuickBooks requestid and a ledger line in PrivateNote;
 * 3. `unlockMoney`.
 *
 * The ledger is QuickBooks itself: each record we write carries `Ledger: invoice <doc> case-ref
 * <ref>` in its PrivateNote, so the sum on an invoice is read from the system of record, and a
 * retry that finds its own ref returns that record instead of writing again.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CaseInput, Money } from '../domain/case';
import type { ApprovalVote, DecisionAction } from '../domain/decision';
import type { MoneyPolicy } from '../domain/policy';
import type { RecordRef } from '../domain/case-state';
import type { RefundRecord } from './contract';
import { checkMoneyMove, type MoneyAuthority, type MoneyFacts, type MoneyRefusal } from '../policy/money-rules';
import { verifyDecision, voteAsDecision } from '../security/decision-signing';
import { qboRequestId, type QboCustomer, type QboInvoice, type QboTxn, type QuickBooksClient } from '../connectors/quickbooks';
import { ValidationError } from '../connectors/errors';
import { currentCase, log, requirePositive, toDecimal, toMinor } from './support';

/** What the workflow asks the money path to do. */
export interface MoneyOrder {
  /** Unique within the case: the idempotency key and the ledger ref derive from it. */
  step: string;
  kind: 'refund_receipt' | 'credit_memo';
  customerId: string;
  amount: Money;
  invoiceNumber?: string;
  authority: MoneyAuthorityInput;
}

/** The authority as the workflow states it; approvals are verified here, not believed. */
export type MoneyAuthorityInput =
  | { kind: 'automation'; input: Pick<CaseInput, 'fields' | 'intentConfidence' | 'suppressed'>; vip: boolean }
  | { kind: 'approval'; requestId: string; countingAction: DecisionAction; escalated: boolean; votes: ApprovalVote[] };

export type MoneyResult =
  | { status: 'moved'; record: RefundRecord; policyVersion: string; reused: boolean }
  | { status: 'refused'; code: MoneyRefusal; reason: string; policyVersion: string };

export type MoneyCheckResult =
  { status: 'allowed'; policyVersion: string } | { status: 'refused'; code: MoneyRefusal; reason: string; policyVersion: string };

export interface MoneyLockRef {
  lockId: string;
  holder: string;
}

/** What has been refunded or credited on an invoice so far (any case), for routing before a wait. */
export interface InvoiceLedger {
  refundedMinor: number;
  records: RecordRef[];
}

export interface MoneyActivities {
  /** Refunds and credits recorded on the invoice (read; the money path re-reads under the lock). */
  invoiceLedger(input: { customerId: string; invoiceNumber: string }): Promise<InvoiceLedger>;
  lockMoney(input: { step: string; customerId: string; invoiceNumber?: string }): Promise<MoneyLockRef>;
  unlockMoney(input: MoneyLockRef): Promise<void>;
  checkMoney(input: MoneyOrder): Promise<MoneyCheckResult>;
  moveMoney(input: MoneyOrder & { privateNote: string }): Promise<MoneyResult>;
}

export interface MoneyActivityDeps {
  quickbooks: QuickBooksClient;
  /** The worker's policy now (read at every call, so a configuration change applies to waiting cases). */
  policy: () => MoneyPolicy;
  decisionKey: string;
  /** For the lock workflow. */
  temporal: { client: Client; taskQueue: string };
  /**
   * How long a lock is held at most (default 30 h: longer than every money activity's retries and
   * than a Skyfire refund's wait for the seller's charge, token lifetime 1 h + 24 h grace).
   */
  lockLeaseMs?: number;
}

export const MONEY_LOCK_HELD_ERROR_TYPE = 'MoneyLockHeld';
const LEDGER_LINE = /^Ledger: invoice (\S+) case-ref (\S+)$/m;

/** The invoice a refund or credit record is for: our ledger line, else (records written before it) the line description. */
export function ledgerInvoiceOf(t: Pick<QboTxn, 'PrivateNote' | 'Line'>): string | undefined {
  const m = LEDGER_LINE.exec(t.PrivateNote ?? '');
  if (m) return m[1] === '-' ? undefined : m[1];
  for (const l of t.Line ?? []) {
    const d = /^(?:Refund|Credit) for (\S+)$/.exec(l.Description ?? '');
    if (d) return d[1];
  }
  return undefined;
}

export function ledgerLine(invoiceNumber: string | undefined, ref: string): string {
  return `Ledger: invoice ${invoiceNumber ?? '-'} case-ref ${ref}`;
}

export function createMoneyActivities(deps: MoneyActivityDeps): MoneyActivities {
  const qbo = deps.quickbooks;
  const leaseMs = deps.lockLeaseMs ?? 30 * 3_600_000;
  const currencyOf = (ref?: { value: string }) => ref?.value ?? 'USD';

  /** Facts re-read from QuickBooks, and the records this very step already wrote (a retry after a lost response). */
  async function readFacts(
    order: MoneyOrder,
    ownRef: string,
  ): Promise<{ facts: MoneyFacts; own?: QboTxn & { entity: 'RefundReceipt' | 'CreditMemo' } }> {
    const customer = await qbo.find<QboCustomer>('Customer', order.customerId);
    const invoice: QboInvoice | null | undefined = order.invoiceNumber
      ? ((await qbo.findInvoiceByDocNumber(order.invoiceNumber)) ?? null)
      : undefined;
    // Refunds count against the invoice's owner: a record on another customer cannot be for this invoice.
    const ledgerCustomer = invoice?.CustomerRef.value ?? order.customerId;
    let refundedMinor = 0;
    let own: (QboTxn & { entity: 'RefundReceipt' | 'CreditMemo' }) | undefined;
    for (const entity of ['RefundReceipt', 'CreditMemo'] as const) {
      for (const t of await qbo.queryAll<QboTxn>(entity, { CustomerRef: ledgerCustomer })) {
        if (LEDGER_LINE.exec(t.PrivateNote ?? '')?.[2] === ownRef) {
          own = { ...t, entity };
          continue;
        }
        if (order.invoiceNumber && ledgerInvoiceOf(t) === order.invoiceNumber)
          refundedMinor += toMinor(t.TotalAmt, currencyOf(t.CurrencyRef ?? invoice?.CurrencyRef));
      }
    }
    const facts: MoneyFacts = {
      amount: order.amount,
      customer: customer ? { id: customer.Id, currency: currencyOf(customer.CurrencyRef) } : null,
      ...(invoice !== undefined
        ? {
            invoice: invoice && {
              docNumber: invoice.DocNumber ?? invoice.Id,
              customerId: invoice.CustomerRef.value,
              currency: currencyOf(invoice.CurrencyRef),
              paidMinor:
                toMinor(invoice.TotalAmt, currencyOf(invoice.CurrencyRef)) - toMinor(invoice.Balance, currencyOf(invoice.CurrencyRef)),
            },
          }
        : {}),
      refundedMinor,
    };
    return { facts, ...(own ? { own } : {}) };
  }

  /** The authority with every vote's proof verified again (no age limit: votes may be days old). */
  function verifiedAuthority(a: MoneyAuthorityInput, workflowId: string): MoneyAuthority {
    if (a.kind === 'automation') return { kind: 'automation', input: a.input, vip: a.vip };
    const verifiedActors = a.votes
      .filter((v) => v.action === a.countingAction)
      .filter((v) => {
        const check = verifyDecision(deps.decisionKey, workflowId, voteAsDecision(a.requestId, v));
        if (!check.ok)
          log('money path: vote without a valid proof ignored', { requestId: a.requestId, actorId: v.actor.id, reason: check.reason });
        return check.ok;
      })
      .map((v) => v.actor.id);
    return { kind: 'approval', countingAction: a.countingAction, escalated: a.escalated, verifiedActors };
  }

  function validate(order: MoneyOrder): void {
    requirePositive('quickbooks', order.amount);
    if (!order.customerId) throw new ValidationError({ system: 'quickbooks' }, 'customerId is required');
  }

  return {
    async invoiceLedger({ customerId, invoiceNumber }) {
      const records: RecordRef[] = [];
      let refundedMinor = 0;
      for (const entity of ['RefundReceipt', 'CreditMemo'] as const) {
        for (const t of await qbo.queryAll<QboTxn>(entity, { CustomerRef: customerId })) {
          if (ledgerInvoiceOf(t) !== invoiceNumber) continue;
          refundedMinor += toMinor(t.TotalAmt, currencyOf(t.CurrencyRef));
          records.push({ system: 'quickbooks', object: entity, id: t.Id, url: qbo.recordUrl(entity, t.Id) });
        }
      }
      return { refundedMinor, records };
    },

    async lockMoney({ step, customerId, invoiceNumber }) {
      const { workflowId } = currentCase();
      const holder = `${workflowId}/${step}`;
      const key = invoiceNumber ? `invoice:${invoiceNumber}` : `customer:${customerId}`;
      const lockId = `money-lock-${qbo.realmId}-${key}`;
      const { client, taskQueue } = deps.temporal;
      try {
        await client.workflow.start('moneyLock', {
          workflowId: lockId,
          taskQueue,
          args: [{ holder, leaseMs }],
          memo: { holder },
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        });
        log('money lock taken', { lockId, step });
        return { lockId, holder };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      const d = await client.workflow.getHandle(lockId).describe();
      // This step already holds it: an earlier attempt started it and its answer was lost.
      if (d.status.name === 'RUNNING' && d.memo?.holder === holder) return { lockId, holder };
      // Held by another case: retried by Temporal until released (serializes money on the invoice).
      throw ApplicationFailure.retryable(
        `money on this ${invoiceNumber ? 'invoice' : 'account'} is being moved by another case; waiting for it`,
        MONEY_LOCK_HELD_ERROR_TYPE,
      );
    },

    async unlockMoney({ lockId, holder }) {
      try {
        await deps.temporal.client.workflow.getHandle(lockId).signal('release', holder);
      } catch (err) {
        // Already released (or the lease ran out): nothing held.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },

    async checkMoney(order) {
      validate(order);
      const { workflowId } = currentCase();
      const policy = deps.policy();
      const { facts } = await readFacts(order, qboRequestId(workflowId, order.step));
      const check = checkMoneyMove(facts, verifiedAuthority(order.authority, workflowId), policy);
      return check.ok
        ? { status: 'allowed', policyVersion: check.policyVersion }
        : { status: 'refused', code: check.code, reason: check.reason, policyVersion: check.policyVersion };
    },

    async moveMoney(order) {
      validate(order);
      const { workflowId } = currentCase();
      const policy = deps.policy();
      const ref = qboRequestId(workflowId, order.step);
      const { facts, own } = await readFacts(order, ref);
      const entity = order.kind === 'refund_receipt' ? 'RefundReceipt' : 'CreditMemo';
      if (own) {
        log('money already moved by this step', { object: own.entity, id: own.Id, step: order.step });
        return {
          status: 'moved',
          reused: true,
          policyVersion: policy.version,
          record: {
            system: 'quickbooks',
            object: own.entity,
            id: own.Id,
            url: qbo.recordUrl(own.entity, own.Id),
            amount: { amountMinor: toMinor(own.TotalAmt, order.amount.currency), currency: order.amount.currency },
          },
        };
      }
      const check = checkMoneyMove(facts, verifiedAuthority(order.authority, workflowId), policy);
      if (!check.ok) {
        log('money path refused', { code: check.code, step: order.step, policyVersion: policy.version });
        return { status: 'refused', code: check.code, reason: check.reason, policyVersion: check.policyVersion };
      }
      Context.current().heartbeat();
      const line = {
        Amount: Number(toDecimal(order.amount.amountMinor, order.amount.currency)),
        DetailType: 'SalesItemLineDetail',
        SalesItemLineDetail: { ItemRef: { value: qbo.refundItemId } },
        Description: `${order.kind === 'refund_receipt' ? 'Refund' : 'Credit'}${order.invoiceNumber ? ` for ${order.invoiceNumber}` : ''}`,
      };
      // QuickBooks caps PrivateNote at 4000 characters; the ledger line always fits.
      const ledger = ledgerLine(order.invoiceNumber, ref);
      const body = {
        CustomerRef: { value: order.customerId },
        CurrencyRef: { value: order.amount.currency },
        Line: [line],
        PrivateNote: `${order.privateNote.slice(0, 3990 - ledger.length)}\n${ledger}`,
        ...(entity === 'RefundReceipt' ? { DepositToAccountRef: { value: qbo.refundDepositAccountId } } : {}),
      };
      const created = await qbo.create<QboTxn>(entity, body, ref);
      log('money moved', { object: entity, id: created.Id, step: order.step, policyVersion: policy.version });
      return {
        status: 'moved',
        reused: false,
        policyVersion: policy.version,
        record: {
          system: 'quickbooks',
          object: entity,
          id: created.Id,
          url: qbo.recordUrl(entity, created.Id),
          amount: { amountMinor: toMinor(created.TotalAmt, order.amount.currency), currency: order.amount.currency },
        },
      };
    },
  };
}
