/**
 * In-memory activities implementing the CaseActivities contract over the shared sandbox seed data
 * (docs/sandbox-seed.md), recording every call. Workflow tests assert on what "the outside world"
 * received through `calls`. Idempotency mirrors the real implementations: writes are keyed by
 * workflow id + step, so a retried step returns the first result instead of writing again.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CaseActivities } from '../../src/activities/contract';
import type { PayTokenRef, SkyfireTokenRef } from '../../src/domain/records';
import { ActivityErrorType } from '../../src/temporal/activity-retry';
import type { Money } from '../../src/domain/case';
import type { RecordRef } from '../../src/domain/case-state';
import type { MoneyPolicy } from '../../src/domain/policy';
import type { MoneyRefusal } from '../../src/policy/money-refusal';
import { createGateActivities } from '../../src/activities/gate';
import { testMoneyPolicy } from '../support/policy';

export interface RecordedCall {
  name: keyof CaseActivities;
  workflowId: string;
  attempt: number;
  input: Record<string, unknown>;
}

/** Knobs for failure branches. */
export interface FakeOptions {
  /** Skyfire wallet available, minor units (seed: 50000 = USD 500.00). */
  walletMinor?: number;
  /** createPayToken: the first attempt creates the token, then fails (a crash after the write). */
  payTokenFailsOnceAfterCreate?: boolean;
  /** updateBillingAddress: the first attempt meets a stale SyncToken. */
  staleSyncTokenOnce?: boolean;
  /** recordRefund fails permanently (to show needs-attention after an earlier write). */
  recordRefundFails?: boolean;
  /** getOpenBalance: invoices paid after this many reads (undefined = never paid). */
  paidAfterReads?: number;
  /** invoiceLedger reports an earlier refund of this much (minor units) on the invoice. */
  earlierRefund?: boolean;
  /** The worker's money policy (default: testMoneyPolicy()); a function, so a test can change it while cases wait. */
  policy?: () => MoneyPolicy;
  /** Decision key of the real gate activities (helpers pass TEST_DECISION_KEY). */
  decisionKey?: string;
  /** findInvoice answers a malformed invoice (no total): the workflow code then hits a TypeError, a bug. */
  brokenInvoiceRead?: boolean;
  /** moveMoney refuses with this code (the money path's answer when a rule no longer holds). */
  moneyRefusal?: MoneyRefusal;
  /** findInvoice: this much (minor units) of each named invoice was paid (a part-paid invoice). */
  paidOn?: Record<string, number>;
}

const usd = (amountMinor: number): Money => ({ amountMinor, currency: 'USD' });

const CUSTOMERS: Record<string, { id: string; email: string; contact: string; owner: string; tier?: string; platform: string }> = {
  'ACME-001': { id: '101', email: 'billing@acme.example', contact: '501', owner: '9001', platform: 'quickbooks' },
  'GLOBEX-002': { id: '102', email: 'ap@globex.example', contact: '502', owner: '9002', tier: 'vip', platform: 'skyfire' },
  'INITECH-003': { id: '103', email: 'finance@initech.example', contact: '503', owner: '9001', platform: 'quickbooks' },
  'UMBRELLA-004': { id: '104', email: 'accounts@umbrella.example', contact: '504', owner: '9002', platform: 'skyfire' },
  'HOOLI-005': { id: '105', email: 'ar@hooli.example', contact: '505', owner: '9001', platform: 'quickbooks' },
};
const INVOICES: Record<string, { id: string; customer: string; total: number; balance: number; due: string; email: string }> = {
  'INV-1001': { id: '1001', customer: '101', total: 12000, balance: 12000, due: '2026-12-15', email: 'billing@acme.example' },
  'INV-1002': { id: '1002', customer: '101', total: 45000, balance: 0, due: '2026-10-01', email: 'billing@acme.example' },
  'INV-2001': { id: '2001', customer: '102', total: 240000, balance: 240000, due: '2026-11-20', email: 'ap@globex.example' },
  'INV-3001': { id: '3001', customer: '103', total: 89900, balance: 89900, due: '2026-11-01', email: 'finance@initech.example' },
  'INV-4001': { id: '4001', customer: '104', total: 4000, balance: 0, due: '2026-11-10', email: 'accounts@umbrella.example' },
  'INV-4002': { id: '4002', customer: '104', total: 4000, balance: 0, due: '2026-11-12', email: 'accounts@umbrella.example' },
  'INV-5001': { id: '5001', customer: '105', total: 125000, balance: 125000, due: '2026-09-30', email: 'ar@hooli.example' },
};
/** Payments applied to each invoice, as the sandbox seeds them: INV-1002 and INV-4002 were paid twice, INV-4001 once. */
const PAYMENTS: Record<string, { id: string; applied: number }[]> = {
  '1002': [
    { id: '3001', applied: 45000 },
    { id: '3003', applied: 45000 },
  ],
  '4001': [{ id: '3004', applied: 4000 }],
  '4002': [
    { id: '3005', applied: 4000 },
    { id: '3008', applied: 4000 },
  ],
};

const OWNERS: Record<string, { slack: string; name: string }> = {
  '9001': { slack: 'U0OWN0001', name: 'Olivia Owner' },
  '9002': { slack: 'U0OWN0002', name: 'Omar Owner' },
};

export function createFakeActivities(opts: FakeOptions = {}) {
  const calls: RecordedCall[] = [];
  const results = new Map<string, unknown>();
  const payTokens = new Map<string, PayTokenRef>();
  const attemptsByKey = new Map<string, number>();
  let balanceReads = 0;
  let wallet = opts.walletMinor ?? 50000;
  let seq = 0;

  const ctx = () => {
    const info = Context.current().info;
    return { workflowId: info.workflowExecution?.workflowId ?? 'standalone', attempt: info.attempt };
  };
  const record = (name: keyof CaseActivities, input: object) => {
    const { workflowId, attempt } = ctx();
    calls.push({ name, workflowId, attempt, input: { ...input } as Record<string, unknown> });
    return workflowId;
  };
  /** A write: once per workflowId + step, repeats return the first result (as the real keys make them). */
  const write = <T>(name: keyof CaseActivities, input: { step: string }, make: () => T): T => {
    const workflowId = record(name, input);
    const key = `${workflowId}/${input.step}`;
    if (!results.has(key)) results.set(key, make());
    return results.get(key) as T;
  };
  const ref = (system: RecordRef['system'], object: string): RecordRef => {
    const id = String(++seq);
    return { system, object, id, url: `https://${system}.example/${object}/${id}` };
  };

  const policy = opts.policy ?? (() => testMoneyPolicy());
  const recordOrMove = async (name: 'recordMoney' | 'moveMoney', input: Parameters<CaseActivities['recordMoney']>[0]) => {
    if (opts.recordRefundFails) {
      record(name, input);
      throw ApplicationFailure.create({ type: ActivityErrorType.Validation, message: 'accounting period closed', nonRetryable: true });
    }
    if (opts.moneyRefusal) {
      record(name, input);
      return {
        status: 'refused' as const,
        code: opts.moneyRefusal,
        reason: `refused: ${opts.moneyRefusal}`,
        policyVersion: policy().version,
      };
    }
    const { workflowId } = ctx();
    return write(name, input, () => ({
      status: 'moved' as const,
      reused: false,
      policyVersion: policy().version,
      record: {
        ...ref('quickbooks', input.kind === 'credit_memo' ? 'CreditMemo' : 'RefundReceipt'),
        system: 'quickbooks' as const,
        object: input.kind === 'credit_memo' ? ('CreditMemo' as const) : ('RefundReceipt' as const),
        amount: input.amount,
      },
      // A step that reserves answers with its entry (as money.ts does); settled by the record.
      ...(input.reserveFirst
        ? {
            existed: false,
            entry: {
              key: `${workflowId}/${input.step}`,
              ref: `L-${input.step}`,
              state: 'settled' as const,
              route: input.route ?? ('quickbooks' as const),
              amount: input.amount,
              settled: input.amount,
              tokenStage: 'none' as const,
            },
          }
        : {}),
    }));
  };

  const acts: CaseActivities = {
    // The real gate: decisions must carry a proof made with the decision key, checked against `policy`.
    ...createGateActivities({ policy, decisionKey: opts.decisionKey ?? 'unset-decision-key-in-fake-activities' }),
    async findInvoice(input) {
      record('findInvoice', input);
      const inv = INVOICES[input.invoiceNumber];
      if (opts.brokenInvoiceRead && inv)
        return { id: inv.id, docNumber: input.invoiceNumber, customerId: inv.customer } as unknown as Awaited<
          ReturnType<CaseActivities['findInvoice']>
        >;
      return inv
        ? {
            id: inv.id,
            docNumber: input.invoiceNumber,
            customerId: inv.customer,
            total: usd(inv.total),
            balance: usd(inv.balance - (opts.paidOn?.[input.invoiceNumber] ?? 0)),
            dueDate: inv.due,
            billEmail: inv.email,
          }
        : null;
    },
    async getCustomer(input) {
      record('getCustomer', input);
      const entry = Object.entries(CUSTOMERS).find(([acct, c]) => acct === input.accountId || c.id === input.customerId);
      if (!entry) return null;
      return {
        id: entry[1].id,
        accountId: entry[0],
        currency: 'USD',
        primaryEmail: entry[1].email,
        syncToken: '0',
        billAddress: { line1: '1 Market St', city: 'San Francisco', region: 'CA', postalCode: '94105', country: 'US' },
      };
    },
    async getOpenBalance(input) {
      record('getOpenBalance', input);
      balanceReads += 1;
      const paid = opts.paidAfterReads !== undefined && balanceReads > opts.paidAfterReads;
      const open = Object.entries(INVOICES).filter(([, i]) => i.customer === input.customerId && i.balance > 0 && !paid);
      return {
        total: usd(open.reduce((s, [, i]) => s + i.balance, 0)),
        openInvoices: open.map(([doc, i]) => ({ id: i.id, docNumber: doc, balance: usd(i.balance), dueDate: i.due })),
      };
    },
    async findPayment(input) {
      record('findPayment', input);
      if (input.paymentId === '3001' || input.invoiceId === '1002')
        return { id: '3001', customerId: '101', amount: usd(45000), date: '2026-10-01', invoiceIds: ['1002'] };
      if (input.paymentId === '3004' || input.invoiceId === '4001')
        return { id: '3004', customerId: '104', amount: usd(4000), date: '2026-11-10', invoiceIds: ['4001'] };
      return null;
    },
    async findInvoicePayments(input) {
      record('findInvoicePayments', input);
      return {
        invoiceId: input.invoiceId,
        payments: (PAYMENTS[input.invoiceId] ?? []).map((p) => ({ id: p.id, applied: usd(p.applied) })),
      };
    },
    async caseMoneyEntry(input) {
      record('caseMoneyEntry', input);
      // The fakes keep no ledger: a case never finds an entry of its own here.
      return null;
    },
    async invoiceLedger(input) {
      record('invoiceLedger', input);
      return opts.earlierRefund
        ? { refundedMinor: 1000, records: [{ system: 'quickbooks', object: 'RefundReceipt', id: '77' }] }
        : {
            refundedMinor: 0,
            records: [],
            // As the real activity answers for an invoice with nothing in the ledger (the shape from before balance credits).
            totals: {
              currency: input.currency ?? 'USD',
              invoiceCommittedMinor: 0,
              invoiceWindowMinor: 0,
              invoiceWindowCount: 0,
              customerWindowMinor: 0,
              customerWindowCount: 0,
              holds: [],
            },
          };
    },
    async findContact(input) {
      record('findContact', input);
      const c = CUSTOMERS[input.accountId];
      return c
        ? { id: c.contact, email: c.email, ownerId: c.owner, ...(c.tier ? { tier: c.tier } : {}), paymentPlatform: c.platform }
        : null;
    },
    async getOwner(input) {
      record('getOwner', input);
      const o = OWNERS[input.ownerId];
      return o ? { id: input.ownerId, slackUserId: o.slack, name: o.name } : null;
    },
    async getDeals(input) {
      record('getDeals', input);
      return input.contactId === '503'
        ? [{ id: '7001', name: 'Initech renewal 2027', stage: 'closedlost', amount: usd(89900), closeDate: '2026-11-01' }]
        : [];
    },
    async getWalletBalance(input) {
      record('getWalletBalance', input);
      return { available: usd(wallet), held: usd(0) };
    },
    async createKyaToken(input) {
      return write('createKyaToken', input, (): SkyfireTokenRef => ({
        tokenId: `kya-${++seq}`,
        expiresAt: '2026-12-01T00:00:00Z',
        buyerTag: input.step,
        reused: false,
      }));
    },
    async createPayToken(input) {
      const { workflowId, attempt } = ctx();
      calls.push({ name: 'createPayToken', workflowId, attempt, input: { ...input } });
      const key = `${workflowId}/${input.step}`;
      const existing = payTokens.get(key);
      if (existing) return { ...existing, reused: true };
      if (input.amount.amountMinor > wallet)
        throw ApplicationFailure.create({
          type: ActivityErrorType.InsufficientFunds,
          message: 'wallet balance too low',
          nonRetryable: true,
        });
      const token: PayTokenRef = {
        tokenId: `pay-${++seq}`,
        expiresAt: '2026-12-01T00:00:00Z',
        buyerTag: key,
        reused: false,
        amount: input.amount,
        handedOver: true,
        chargeDeadline: '2099-01-01T00:00:00Z',
        pollIntervalMs: 1000,
      };
      payTokens.set(key, token);
      wallet -= input.amount.amountMinor;
      if (opts.payTokenFailsOnceAfterCreate && attempt === 1)
        throw ApplicationFailure.create({ type: ActivityErrorType.Transient, message: 'connection reset after create' });
      return token;
    },
    async getPayTokenCharges(input) {
      record('getPayTokenCharges', input);
      // The fake seller charges a token in full as soon as it has it.
      const token = [...payTokens.values()].find((t) => t.tokenId === input.tokenId);
      return {
        charged: { amountMinor: token?.amount.amountMinor ?? 0, currency: input.currency },
        chargeIds: token ? [`charge-${token.tokenId}`] : [],
      };
    },
    async sendInvoice(input) {
      return write('sendInvoice', input, () => ({ sentTo: 'on_file' as const }));
    },
    async sendReceipt(input) {
      return write('sendReceipt', input, () => ({ sentTo: 'on_file' as const }));
    },
    // The money path's activities, faked for flow tests (the money rules themselves are tested
    // with the real module against the sandbox: test/workflows/money-path.test.ts).
    async lockMoney(input) {
      record('lockMoney', input);
      return { lockId: `lock-${input.invoiceNumber ?? input.customerId}`, holder: `${ctx().workflowId}/${input.step}` };
    },
    async unlockMoney(input) {
      record('unlockMoney', input);
    },
    async checkMoney(input) {
      record('checkMoney', input);
      return opts.moneyRefusal
        ? { status: 'refused' as const, code: opts.moneyRefusal, reason: `refused: ${opts.moneyRefusal}`, policyVersion: policy().version }
        : { status: 'allowed' as const, policyVersion: policy().version };
    },
    // Cases from before the ledger call moveMoney; the fake answers both the same way, under their own names.
    moveMoney: (input) => recordOrMove('moveMoney', input),
    recordMoney: (input) => recordOrMove('recordMoney', input),
    async reserveMoney(input) {
      record('reserveMoney', input);
      if (opts.moneyRefusal)
        return {
          status: 'refused' as const,
          code: opts.moneyRefusal,
          reason: `refused: ${opts.moneyRefusal}`,
          policyVersion: policy().version,
        };
      const { workflowId } = ctx();
      return {
        status: 'reserved' as const,
        existed: false,
        policyVersion: policy().version,
        entry: {
          key: `${workflowId}/${input.step}`,
          ref: `L-${input.step}`,
          state: 'pending' as const,
          route: input.route ?? ('quickbooks' as const),
          amount: input.amount,
          settled: { amountMinor: 0, currency: input.amount.currency },
          tokenStage: 'none' as const,
        },
        totals: {
          currency: input.amount.currency,
          invoiceCommittedMinor: input.amount.amountMinor,
          invoiceWindowMinor: input.amount.amountMinor,
          invoiceWindowCount: 1,
          customerWindowMinor: input.amount.amountMinor,
          customerWindowCount: 1,
          holds: [],
        },
      };
    },
    async settlePayToken(input) {
      record('settlePayToken', input);
      return { state: 'settled' as const, settled: usd(0), chargeIds: [], partial: false };
    },
    async confirmReturned(input) {
      record('confirmReturned', input);
      throw new Error('owned returns are not faked: test them against the real ledger');
    },
    async refundCharge(input) {
      record('refundCharge', input);
      throw new Error('QuickBooks Payments refunds are not faked: test them against the sandbox and the real ledger');
    },
    async reconcileLedger(input) {
      record('reconcileLedger', input);
      throw new Error('the reconciliation is not faked: test it against the real ledger (test/workflows/reconcile.test.ts)');
    },
    async updateBillingAddress(input) {
      const { workflowId, attempt } = ctx();
      calls.push({ name: 'updateBillingAddress', workflowId, attempt, input: { ...input } });
      const key = `${workflowId}/${input.step}`;
      attemptsByKey.set(key, (attemptsByKey.get(key) ?? 0) + 1);
      if (opts.staleSyncTokenOnce && attemptsByKey.get(key) === 1)
        throw ApplicationFailure.create({ type: ActivityErrorType.StaleSyncToken, message: 'Stale Object Error (5010)' });
      return { customerId: input.customerId, syncToken: String(attemptsByKey.get(key)) };
    },
    async openTicket(input) {
      return write('openTicket', input, () => ({ ...ref('zendesk', 'ticket'), system: 'zendesk' as const, object: 'ticket' as const }));
    },
    async addTicketNote(input) {
      return write('addTicketNote', input, () => ({ ticketId: input.ticketId }));
    },
    async settleTicket(input) {
      return write('settleTicket', input, () => ({ ticketId: input.ticketId, status: input.status }));
    },
    async addCrmNote(input) {
      return write('addCrmNote', input, () => ref('hubspot', 'note'));
    },
    async createOwnerTask(input) {
      return write('createOwnerTask', input, () => ref('hubspot', 'task'));
    },
    async archiveDocument(input) {
      return write('archiveDocument', input, () => ref('drive', 'file'));
    },
    async sendCustomerEmail(input) {
      return write('sendCustomerEmail', input, () => ref('gmail', 'message'));
    },
    async postApprovalRequest(input) {
      return write('postApprovalRequest', input, () => ({ channel: input.channel, ts: `${++seq}.000100` }));
    },
    async updateApprovalMessage(input) {
      return write('updateApprovalMessage', input, () => input.message);
    },
    async postApprovalReminder(input) {
      return write('postApprovalReminder', input, () => ({ channel: input.message.channel, ts: `${++seq}.000200` }));
    },
    async postFinanceAlert(input) {
      return write('postFinanceAlert', input, () => ({ channel: input.channel, ts: `${++seq}.000300` }));
    },
  };

  return {
    activities: acts,
    calls,
    /** Calls of one activity for one case. */
    callsOf(name: keyof CaseActivities, workflowId?: string) {
      return calls.filter((c) => c.name === name && (workflowId === undefined || c.workflowId === workflowId));
    },
  };
}
export type FakeActivities = ReturnType<typeof createFakeActivities>;
