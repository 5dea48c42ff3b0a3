/**
 * The system each business-step activity talks to, for per-system metrics (attempts, failures,
 * retries, money actions): an external system, `temporal` (the invoice's money lock is a
 * workflow) or `internal` (the worker's own policy and decision checks). The compiler checks every
 * contract method has one; test/ops/dashboard.test.ts checks them against the factories.
 */
import type { CaseActivities } from './contract';

export type ActivitySystem = 'quickbooks' | 'skyfire' | 'hubspot' | 'gmail' | 'slack' | 'zendesk' | 'drive' | 'temporal' | 'internal';

export const ACTIVITY_SYSTEM_OF = {
  findInvoice: 'quickbooks',
  getCustomer: 'quickbooks',
  getOpenBalance: 'quickbooks',
  findPayment: 'quickbooks',
  invoiceLedger: 'quickbooks',
  caseMoneyEntry: 'internal',
  checkMoney: 'quickbooks',
  moveMoney: 'quickbooks',
  lockMoney: 'internal',
  unlockMoney: 'internal',
  loadPolicy: 'internal',
  authorizeDecision: 'internal',
  verifyCaseInput: 'internal',
  attestChosenCase: 'internal',
  findInvoicePayments: 'quickbooks',
  sendInvoice: 'quickbooks',
  sendReceipt: 'quickbooks',
  updateBillingAddress: 'quickbooks',
  findContact: 'hubspot',
  getOwner: 'hubspot',
  getDeals: 'hubspot',
  addCrmNote: 'hubspot',
  createOwnerTask: 'hubspot',
  getWalletBalance: 'skyfire',
  createKyaToken: 'skyfire',
  createPayToken: 'skyfire',
  getPayTokenCharges: 'skyfire',
  openTicket: 'zendesk',
  addTicketNote: 'zendesk',
  settleTicket: 'zendesk',
  archiveDocument: 'drive',
  sendCustomerEmail: 'gmail',
  postApprovalRequest: 'slack',
  updateApprovalMessage: 'slack',
  postApprovalReminder: 'slack',
  postFinanceAlert: 'slack',
  reserveMoney: 'quickbooks',
  recordMoney: 'quickbooks',
  settlePayToken: 'skyfire',
  // The QuickBooks Payments API (same Intuit company and credential as the Accounting API).
  refundCharge: 'quickbooks',
  // The worker's own check of the "Money returned" decision, then the ledger.
  confirmReturned: 'internal',
  // Reads QuickBooks (every refund and credit) and Skyfire (token charges); named for the first.
  reconcileLedger: 'quickbooks',
} as const satisfies Record<keyof CaseActivities, ActivitySystem>;

/**
 * The activities whose success moves money: a RefundReceipt or CreditMemo written (`moveMoney`,
 * unless it answers `refused`), a Skyfire pay token created (it reserves wallet funds).
 */
export const MONEY_MOVING_ACTIVITIES: ReadonlySet<string> = new Set<keyof CaseActivities>([
  'moveMoney',
  'recordMoney',
  'createPayToken',
  'refundCharge',
]);
