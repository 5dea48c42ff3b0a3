/**
 * QuickBooks business steps: find invoices, customers, payments and balances; send invoices and
 * receipts to an email on file; record refunds and credits; correct the billing address. Every
 * write carries a `requestid` derived from the case and step, so a retry replays instead of
 * writing again.
 */
import type { CaseActivities, CustomerSummary, InvoiceSummary, PaymentSummary, RefundRecord } from './contract';
import type { PostalAddress } from '../domain/case';
import type { RecordRef } from '../workflows/messages';
import { qboRequestId, type QboAddress, type QboCustomer, type QboInvoice, type QboPayment, type QboTxn, type QuickBooksClient } from '../connectors/quickbooks';
import type { HubSpotClient } from '../connectors/hubspot';
import { UnverifiedRecipientError, ValidationError } from '../connectors/errors';
import { currentCase, log, requirePositive, sameEmail, toDecimal, toMinor } from './support';

export interface QuickBooksActivityDeps {
  quickbooks: QuickBooksClient;
  /** Optional second source of emails on file (the HubSpot contact of the account). */
  hubspot?: HubSpotClient;
}

type QuickBooksActivities = Pick<
  CaseActivities,
  'findInvoice' | 'getCustomer' | 'getOpenBalance' | 'findPayment' | 'hasEarlierRefund' | 'sendInvoice' | 'sendReceipt' | 'recordRefund' | 'updateBillingAddress'
>;

/** Our account id lives in the QuickBooks customer's Notes as `account_id:<id>` (QuickBooks has no custom fields on customers). */
export function accountIdOf(c: QboCustomer): string | undefined {
  return /(?:^|\s)account_id:(\S+)/.exec(c.Notes ?? '')?.[1];
}

function toAddress(a: QboAddress | undefined): PostalAddress | undefined {
  if (!a?.Line1) return undefined;
  return { line1: a.Line1, ...(a.Line2 ? { line2: a.Line2 } : {}), city: a.City ?? '', ...(a.CountrySubDivisionCode ? { region: a.CountrySubDivisionCode } : {}), postalCode: a.PostalCode ?? '', country: a.Country ?? '' };
}

function fromAddress(a: PostalAddress): QboAddress {
  return { Line1: a.line1, ...(a.line2 ? { Line2: a.line2 } : {}), City: a.city, ...(a.region ? { CountrySubDivisionCode: a.region } : {}), PostalCode: a.postalCode, Country: a.country };
}

const sameAddress = (a: QboAddress | undefined, b: QboAddress) =>
  !!a && (['Line1', 'Line2', 'City', 'CountrySubDivisionCode', 'PostalCode', 'Country'] as const).every((k) => (a[k] ?? '') === (b[k] ?? ''));

export function createQuickBooksActivities(deps: QuickBooksActivityDeps): QuickBooksActivities {
  const qbo = deps.quickbooks;
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

  async function guardRecipient(to: string, onFile: string[]): Promise<void> {
    if (!onFile.some((e) => sameEmail(e, to))) throw new UnverifiedRecipientError({ system: 'quickbooks' }, 'recipient is not an email on file for this customer');
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
      // Notes are not queryable in QuickBooks: read customers and match the account id here.
      const all = await qbo.query<QboCustomer>('Customer', {}, 1000);
      const c = all.find((x) => accountIdOf(x) === accountId);
      return c ? customerSummary(c) : null;
    },

    async getOpenBalance({ customerId }) {
      const invoices = (await qbo.query<QboInvoice>('Invoice', { CustomerRef: customerId }, 1000)).filter((i) => i.Balance > 0);
      const cur = currency(invoices[0]?.CurrencyRef);
      const open = invoices
        .map((i) => ({ id: i.Id, docNumber: i.DocNumber ?? i.Id, balance: { amountMinor: toMinor(i.Balance, currency(i.CurrencyRef)), currency: currency(i.CurrencyRef) }, ...(i.DueDate ? { dueDate: i.DueDate } : {}) }))
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

    async hasEarlierRefund({ customerId, invoiceNumber }) {
      const records: RecordRef[] = [];
      for (const entity of ['RefundReceipt', 'CreditMemo'] as const) {
        const txns = await qbo.query<QboTxn>(entity, { CustomerRef: customerId }, 1000);
        for (const t of txns) {
          const texts = [t.PrivateNote ?? '', ...(t.Line ?? []).map((l) => l.Description ?? '')];
          if (texts.some((x) => x.includes(invoiceNumber))) records.push({ system: 'quickbooks', object: entity, id: t.Id, url: qbo.recordUrl(entity, t.Id) });
        }
      }
      return { found: records.length > 0, records };
    },

    async sendInvoice({ step, invoiceId, to }) {
      const inv = await qbo.get<QboInvoice>('Invoice', invoiceId);
      await guardRecipient(to, await emailsOnFile(inv.CustomerRef.value, [inv.BillEmail?.Address]));
      const sent = await qbo.send<QboInvoice>('Invoice', invoiceId, to, qboRequestId(currentCase().workflowId, step));
      log('invoice sent', { invoiceId, step });
      return { sentTo: 'on_file', ...(sent.DeliveryInfo?.DeliveryTime ? { deliveredAt: sent.DeliveryInfo.DeliveryTime } : {}) };
    },

    async sendReceipt({ step, paymentId, to }) {
      const p = await qbo.get<QboPayment>('Payment', paymentId);
      await guardRecipient(to, await emailsOnFile(p.CustomerRef.value));
      const sent = await qbo.send<QboPayment & { DeliveryInfo?: { DeliveryTime?: string } }>('Payment', paymentId, to, qboRequestId(currentCase().workflowId, step));
      log('receipt sent', { paymentId, step });
      return { sentTo: 'on_file', ...(sent.DeliveryInfo?.DeliveryTime ? { deliveredAt: sent.DeliveryInfo.DeliveryTime } : {}) };
    },

    async recordRefund({ step, kind, customerId, amount, invoiceNumber, privateNote }): Promise<RefundRecord> {
      requirePositive('quickbooks', amount);
      const customer = await qbo.get<QboCustomer>('Customer', customerId);
      if (currency(customer.CurrencyRef) !== amount.currency) throw new ValidationError({ system: 'quickbooks' }, `amount currency ${amount.currency} differs from the customer's ${currency(customer.CurrencyRef)}`);
      const entity = kind === 'refund_receipt' ? 'RefundReceipt' : 'CreditMemo';
      const line = {
        Amount: Number(toDecimal(amount.amountMinor, amount.currency)),
        DetailType: 'SalesItemLineDetail',
        SalesItemLineDetail: { ItemRef: { value: qbo.refundItemId } },
        Description: `${kind === 'refund_receipt' ? 'Refund' : 'Credit'}${invoiceNumber ? ` for ${invoiceNumber}` : ''}`,
      };
      const body = {
        CustomerRef: { value: customerId },
        Line: [line],
        // QuickBooks caps PrivateNote at 4000 characters.
        PrivateNote: privateNote.slice(0, 4000),
        ...(entity === 'RefundReceipt' ? { DepositToAccountRef: { value: qbo.refundDepositAccountId } } : {}),
      };
      const created = await qbo.create<QboTxn>(entity, body, qboRequestId(currentCase().workflowId, step));
      log('refund recorded', { object: entity, id: created.Id, step });
      return { system: 'quickbooks', object: entity, id: created.Id, url: qbo.recordUrl(entity, created.Id), amount: { amountMinor: toMinor(created.TotalAmt, amount.currency), currency: amount.currency } };
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
      const updated = await qbo.sparseUpdateCustomer(customerId, current.SyncToken, { BillAddr: wanted }, qboRequestId(currentCase().workflowId, step, [current.SyncToken]));
      log('billing address updated', { customerId, step });
      return { customerId, syncToken: updated.SyncToken, url: qbo.recordUrl('Customer', customerId) };
    },
  };
}
