/**
 * The external system each business-step activity talks to, for per-system metrics (attempts,
 * failures, retries, money actions). The compiler checks every contract method has one;
 * test/ops/dashboard.test.ts checks each system's factory provides exactly its activities.
 */
import type { CaseActivities } from './contract';

export type ExternalSystem = 'quickbooks' | 'skyfire' | 'hubspot' | 'gmail' | 'slack' | 'zendesk' | 'drive';

export const ACTIVITY_SYSTEM_OF = {
  findInvoice: 'quickbooks',
  getCustomer: 'quickbooks',
  getOpenBalance: 'quickbooks',
  findPayment: 'quickbooks',
  hasEarlierRefund: 'quickbooks',
  sendInvoice: 'quickbooks',
  sendReceipt: 'quickbooks',
  recordRefund: 'quickbooks',
  updateBillingAddress: 'quickbooks',
  findContact: 'hubspot',
  getOwner: 'hubspot',
  getDeals: 'hubspot',
  addCrmNote: 'hubspot',
  createOwnerTask: 'hubspot',
  getWalletBalance: 'skyfire',
  createKyaToken: 'skyfire',
  createPayToken: 'skyfire',
  openTicket: 'zendesk',
  addTicketNote: 'zendesk',
  archiveDocument: 'drive',
  sendCustomerEmail: 'gmail',
  postApprovalRequest: 'slack',
  updateApprovalMessage: 'slack',
  postApprovalReminder: 'slack',
  postFinanceAlert: 'slack',
} as const satisfies Record<keyof CaseActivities, ExternalSystem>;
