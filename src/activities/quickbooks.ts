/**
 * QuickBooks business steps: find invoices, customers, payments and balances; send invoices and
 * receipts to an email on file (or one a verified approval allows); correct the billing address.
 * Refunds and credits are written only by the money path (money.ts). Every
 * write carries a `requestid` derived from the case and step, so a retry replays instead of
 * writing again.
 */
import type { CaseActivities } from './contract';
import type { CustomerSummary, InvoiceSummary, PaymentSummary, RecipientApproval } from '../domain/records';
import type { PostalAddress } from '../domain/case';
import {
  qboRequestId,
  type QboAddress,
  type QboCustomer,
  type QboInvoice,
  type QboPayment,
  type QuickBooksClient,
} from '../connectors/quickbooks';
import type { HubSpotClient } from '../connectors/hubspot';
import { accountIdOf, CustomerAccountIndex } from '../connectors/quickbooks-accounts';
import { UnverifiedRecipientError, ValidationError } from '../connectors/errors';
import type { ApprovalVerifier } from './authority';
import { currentCase, log, sameEmail, toMinor } from './support';

export interface QuickBooksActivityDeps {
  quickbooks: QuickBooksClient;
  /** Optional second source of emails on file (the HubSpot contact of the account). */
  hubspot?: HubSpotClient;
  /** Verifies a person's approval to send to an address not on file; without it such a send always refuses. */
  approvals?: ApprovalVerifier;
}

type QuickBooksActivities = Pick<
  CaseActivities,
  | 'findInvoice'
  | 'getCustomer'
  | 'getOpenBalance'
  | 'findPayment'
  | 'findInvoicePayments'
  | 'sendInvoice'
  | 'sendReceipt'
  | 'updateBillingAddress'
>;

function toAddress(a: QboAddress | undefined): PostalAddress | undefined {
  if (!a?.Line1) return undefined;
  return {
    line1: a.Line1,
    ...(a.Line2 ? { line2: a.Line2 } : {}),
    city: a.City ?? '',
    ...(a.CountrySubDivisionCode ? { region: a.CountrySubDivisionCode } : {}),
    postalCode: a.PostalCode ?? '',
    country: a.Country ?? '',
  };
}

function fromAddress(a: PostalAddress): QboAddress {
  return {
    Line1: a.line1,
    ...(a.line2 ? { Line2: a.line2 } : {}),
    City: a.city,
    ...(a.region ? { CountrySubDivisionCode: a.region } : {}),
    PostalCode: a.postalCode,
    Country: a.country,
  };
}

const sameAddress = (a: QboAddress | undefined, b: QboAddress) =>
  !!a &&
  (['Line1', 'Line2', 'City', 'CountrySubDivisionCode', 'PostalCode', 'Country'] as const).every((k) => (a[k] ?? '') === (b[k] ?? ''));

export function createQuickBooksActivities(deps: QuickBooksActivityDeps): QuickBooksActivities {
  const qbo = deps.quickbooks;
  // One per worker process: the account-id map survives across activities (quickbooks-accounts.ts).
  const accounts = new CustomerAccountIndex(qbo);
  const currency = (ref?: { value: string }) => ref?.value ?? 'USD';

  const invoiceSummary = (i: QboInvoice): InvoiceSummary => ({
    id: i.Id,
    docNumber: i.DocNumber ?? i.Id,
    customerId: i.CustomerRef.value,
    total: { amountMinor: toMinor(i.TotalAmt, currency(i.CurrencyRef)), currency: currency(i.CurrencyRef) },
    balance: { amountMinor: toMinor(i.Balance, currency(i.CurrencyRef)), currency: currency(i.CurrencyRef) },
    ...(i.DueDate ? { dueDate: i.DueDate } : {}),
    ...(i.BillEmail?.Address ? { billEmail: i.BillEmail.Address } : {}),
    url: qbo.recordUrl('Invoice', i.Id),
  });

  const customerSummary = (c: QboCustomer): CustomerSummary => {
    const accountId = accountIdOf(c);
    const billAddress = toAddress(c.BillAddr);
    return {
      id: c.Id,
      ...(accountId ? { accountId } : {}),
      ...(c.PrimaryEmailAddr?.Address ? { primaryEmail: c.PrimaryEmailAddr.Address } : {}),
      ...(billAddress ? { billAddress } : {}),
      syncToken: c.SyncToken,
      currency: currency(c.CurrencyRef),
      url: qbo.recordUrl('Customer', c.Id),
    };
  };

  const paymentSummary = (p: QboPayment): PaymentSummary => ({
    id: p.Id,
    customerId: p.CustomerRef.value,
    amount: { amountMinor: toMinor(p.TotalAmt, currency(p.CurrencyRef)), currency: currency(p.CurrencyRef) },
    ...(p.TxnDate ? { date: p.TxnDate } : {}),
    invoiceIds: (p.Line ?? []).flatMap((l) => (l.LinkedTxn ?? []).filter((t) => t.TxnType === 'Invoice').map((t) => t.TxnId)),
  });

  /** Emails on file for a customer: QuickBooks first, then the account's HubSpot contact. */
  async function emailsOnFile(customerId: string, extra: (string | undefined)[] = []): Promise<string[]> {
    const customer = await qbo.get<QboCustomer>('Customer', customerId);
    const emails = [...extra, customer.PrimaryEmailAddr?.Address];
    const accountId = accountIdOf(customer);
    if (deps.hubspot && accountId) emails.push((await deps.hubspot.findContactBy('account_id', accountId))?.properties.email ?? undefined);
    return emails.filter((e): e is string => !!e);
  }

  /** On file, or approved by an approver whose proof verifies: the approval is the recorded authority. */
  async function guardRecipient(to: string, onFile: string[], approval: RecipientApproval | undefined): Promise<'on_file' | 'approved'> {
    if (onFile.some((e) => sameEmail(e, to))) return 'on_file';
    if (approval && deps.approvals) {
      const by = deps.approvals.verifiedApprovers(currentCase().workflowId, approval);
      if (by.length > 0) {
        log('sending to an address not on file on approval', { requestId: approval.requestId, approvedBy: by.join(',') });
        return 'approved';
      }
    }
    throw new UnverifiedRecipientError(
      { system: 'quickbooks' },
      'recipient is not an email on file for this customer, and no verified approval allows it',
    );
  }

  return {
    async findInvoice({ invoiceNumber }) {
      if (!invoiceNumber?.trim()) throw new ValidationError({ system: 'quickbooks' }, 'invoiceNumber is required');
      const inv = await qbo.findInvoiceByDocNumber(invoiceNumber.trim());
      return inv ? invoiceSummary(inv) : null;
    },

    async getCustomer({ accountId, customerId }) {
      if (customerId) {
        const c = await qbo.find<QboCustomer>('Customer', customerId);
        return c ? customerSummary(c) : null;
      }
      if (!accountId) throw new ValidationError({ system: 'quickbooks' }, 'accountId or customerId is required');
      const c = await accounts.find(accountId);
      return c ? customerSummary(c) : null;
    },

    async getOpenBalance({ customerId }) {
      const invoices = (await qbo.queryAll<QboInvoice>('Invoice', { CustomerRef: customerId })).filter((i) => i.Balance > 0);
      const cur = currency(invoices[0]?.CurrencyRef);
      const open = invoices
        .map((i) => ({
          id: i.Id,
          docNumber: i.DocNumber ?? i.Id,
          balance: { amountMinor: toMinor(i.Balance, currency(i.CurrencyRef)), currency: currency(i.CurrencyRef) },
          ...(i.DueDate ? { dueDate: i.DueDate } : {}),
        }))
        .sort((a, b) => (a.dueDate ?? '').localeCompare(b.dueDate ?? ''));
      return { total: { amountMinor: open.reduce((s, i) => s + i.balance.amountMinor, 0), currency: cur }, openInvoices: open };
    },

    async findPayment({ paymentId, invoiceId }) {
      if (paymentId) {
        const p = await qbo.find<QboPayment>('Payment', paymentId);
        return p ? paymentSummary(p) : null;
      }
      if (!invoiceId) throw new ValidationError({ system: 'quickbooks' }, 'paymentId or invoiceId is required');
      const inv = await qbo.find<QboInvoice>('Invoice', invoiceId);
      const linked = inv?.LinkedTxn?.find((t) => t.TxnType === 'Payment');
      if (!linked) return null;
      const p = await qbo.find<QboPayment>('Payment', linked.TxnId);
      return p ? paymentSummary(p) : null;
    },

    async findInvoicePayments({ customerId, invoiceId }) {
      if (!customerId || !invoiceId) throw new ValidationError({ system: 'quickbooks' }, 'customerId and invoiceId are required');
      const payments = await qbo.paymentsForInvoice(customerId, invoiceId);
      return {
        invoiceId,
        payments: payments.map((p) => {
          const cur = currency(p.CurrencyRef);
          const applied = (p.Line ?? [])
            .filter((l) => (l.LinkedTxn ?? []).some((t) => t.TxnType === 'Invoice' && t.TxnId === invoiceId))
            .reduce((sum, l) => sum + toMinor(l.Amount, cur), 0);
          return { id: p.Id, applied: { amountMinor: applied, currency: cur }, ...(p.TxnDate ? { date: p.TxnDate } : {}) };
        }),
      };
    },

    async sendInvoice({ step, invoiceId, to, approval }) {
      const inv = await qbo.get<QboInvoice>('Invoice', invoiceId);
      const sentTo = await guardRecipient(to, await emailsOnFile(inv.CustomerRef.value, [inv.BillEmail?.Address]), approval);
      const sent = await qbo.send<QboInvoice>('Invoice', invoiceId, to, qboRequestId(currentCase().workflowId, step));
      log('invoice sent', { invoiceId, step });
      return { sentTo, ...(sent.DeliveryInfo?.DeliveryTime ? { deliveredAt: sent.DeliveryInfo.DeliveryTime } : {}) };
    },

    async sendReceipt({ step, paymentId, to, approval }) {
      const p = await qbo.get<QboPayment>('Payment', paymentId);
      const sentTo = await guardRecipient(to, await emailsOnFile(p.CustomerRef.value), approval);
      const sent = await qbo.send<QboPayment & { DeliveryInfo?: { DeliveryTime?: string } }>(
        'Payment',
        paymentId,
        to,
        qboRequestId(currentCase().workflowId, step),
      );
      log('receipt sent', { paymentId, step });
      return { sentTo, ...(sent.DeliveryInfo?.DeliveryTime ? { deliveredAt: sent.DeliveryInfo.DeliveryTime } : {}) };
    },

    async updateBillingAddress({ step, customerId, address }) {
      for (const k of ['line1', 'city', 'postalCode', 'country'] as const) {
        if (!address?.[k]?.trim()) throw new ValidationError({ system: 'quickbooks' }, `address.${k} is required`);
      }
      // Re-read on every attempt: the SyncToken goes stale whenever anyone edits the customer.
      const current = await qbo.get<QboCustomer>('Customer', customerId);
      const wanted = fromAddress(address);
      if (sameAddress(current.BillAddr, wanted)) {
        // An earlier attempt (or a person) already made this change.
        return { customerId, syncToken: current.SyncToken, url: qbo.recordUrl('Customer', customerId) };
      }
      // The SyncToken is part of the requestid: a retry after a stale read is a new request.
      const updated = await qbo.sparseUpdateCustomer(
        customerId,
        current.SyncToken,
        { BillAddr: wanted },
        qboRequestId(currentCase().workflowId, step, [current.SyncToken]),
      );
      log('billing address updated', { customerId, step });
      return { customerId, syncToken: updated.SyncToken, url: qbo.recordUrl('Customer', customerId) };
    },
  };
}
