/**
 * The QuickBooks stand-in's seeded company (docs/sandbox-seed.md § QuickBooks): customers with
 * account ids in Notes, invoices, payments (some paid twice, some by card through QuickBooks
 * Payments), in USD, JPY and KWD; and how a payment is added to an invoice.
 */
import { amountToMinor, minorToAmount } from '../../support';
import { SEED_CHARGES } from '../quickbooks-payments';

export const QBO_REALM = '9130350000000001';

export type Json = Record<string, unknown>;

interface SeedCustomer {
  Id: string;
  DisplayName: string;
  CompanyName: string;
  accountId: string;
  email: string;
  BillAddr: Json;
  /** The customer's currency (QuickBooks multicurrency): its transactions are in it. Default USD. */
  currency?: string;
}

const CURRENCY_NAMES: Record<string, string> = { USD: 'United States Dollar', JPY: 'Japanese Yen', KWD: 'Kuwaiti Dinar' };
export const currencyRef = (code: string) => ({ value: code, name: CURRENCY_NAMES[code] ?? code });

const CUSTOMERS: SeedCustomer[] = [
  {
    Id: '101',
    DisplayName: 'Acme Corp',
    CompanyName: 'Acme Corp',
    accountId: 'ACME-001',
    email: 'billing@acme.example',
    BillAddr: { Id: '201', Line1: '1 Market St', City: 'San Francisco', CountrySubDivisionCode: 'CA', PostalCode: '94105', Country: 'US' },
  },
  {
    Id: '102',
    DisplayName: 'Globex Inc',
    CompanyName: 'Globex Inc',
    accountId: 'GLOBEX-002',
    email: 'ap@globex.example',
    BillAddr: { Id: '202', Line1: '200 Globex Way', City: 'Springfield', CountrySubDivisionCode: 'OR', PostalCode: '97477', Country: 'US' },
  },
  {
    Id: '103',
    DisplayName: 'Initech LLC',
    CompanyName: 'Initech LLC',
    accountId: 'INITECH-003',
    email: 'finance@initech.example',
    BillAddr: { Id: '203', Line1: '4120 Freidrich Ln', City: 'Austin', CountrySubDivisionCode: 'TX', PostalCode: '78744', Country: 'US' },
  },
  {
    Id: '104',
    DisplayName: 'Umbrella Co',
    CompanyName: 'Umbrella Co',
    accountId: 'UMBRELLA-004',
    email: 'accounts@umbrella.example',
    BillAddr: {
      Id: '204',
      Line1: '545 S Birdneck Rd',
      City: 'Virginia Beach',
      CountrySubDivisionCode: 'VA',
      PostalCode: '23451',
      Country: 'US',
    },
  },
  {
    Id: '105',
    DisplayName: 'Hooli',
    CompanyName: 'Hooli',
    accountId: 'HOOLI-005',
    email: 'ar@hooli.example',
    BillAddr: { Id: '205', Line1: '1 Hooli Plaza', City: 'Palo Alto', CountrySubDivisionCode: 'CA', PostalCode: '94301', Country: 'US' },
  },
  {
    Id: '106',
    DisplayName: 'Sakura KK',
    CompanyName: 'Sakura KK',
    accountId: 'SAKURA-006',
    email: 'keiri@sakura.example',
    BillAddr: { Id: '206', Line1: '1-1 Marunouchi', City: 'Tokyo', PostalCode: '100-0005', Country: 'JP' },
    currency: 'JPY',
  },
  {
    Id: '107',
    DisplayName: 'Gulf Trading',
    CompanyName: 'Gulf Trading',
    accountId: 'GULF-007',
    email: 'accounts@gulf.example',
    BillAddr: { Id: '207', Line1: 'Block 3, Street 14', City: 'Kuwait City', PostalCode: '13001', Country: 'KW' },
    currency: 'KWD',
  },
];

/** [Id, DocNumber, customer, total, balance (minor units of the customer's currency), due, paymentId]. */
const INVOICES: [string, string, string, number, number, string, string?][] = [
  ['1001', 'INV-1001', '101', 12000, 12000, '2026-12-15'],
  ['1002', 'INV-1002', '101', 45000, 0, '2026-10-01', '3001'],
  ['1003', 'INV-1003', '101', 250000, 0, '2026-09-01', '3002'],
  ['2001', 'INV-2001', '102', 240000, 240000, '2026-11-20'],
  ['3001', 'INV-3001', '103', 89900, 89900, '2026-11-01'],
  ['4001', 'INV-4001', '104', 4000, 0, '2026-11-10', '3004'],
  ['4002', 'INV-4002', '104', 4000, 0, '2026-11-12', '3005'],
  ['5001', 'INV-5001', '105', 125000, 125000, '2026-09-30'],
  ['6001', 'INV-6001', '106', 50000, 0, '2026-10-15', '3006'],
  ['7001', 'INV-7001', '107', 12500, 0, '2026-10-20', '3007'],
];

/**
 * Payments besides the one that paid each invoice above: [paymentId, invoiceId, applied (minor units), date].
 * INV-1002 (Acme, QuickBooks), INV-4002 (Umbrella, Skyfire) and INV-6001 (Sakura, JPY) were paid
 * twice: the evidence an automated refund for a duplicate charge needs. INV-4001 keeps its one payment, so a "charged
 * twice" refund of it goes to a person.
 */
const DUPLICATE_PAYMENTS: [string, string, number, string][] = [
  ['3003', '1002', 45000, '2026-09-16'],
  ['3008', '4002', 4000, '2026-11-13'],
  ['3009', '6001', 50000, '2026-10-16'],
];

export const ENTITY_PATHS: Record<string, string> = {
  invoice: 'Invoice',
  customer: 'Customer',
  payment: 'Payment',
  refundreceipt: 'RefundReceipt',
  creditmemo: 'CreditMemo',
};

export function seed(): Map<string, Map<string, Json>> {
  const db = new Map<string, Map<string, Json>>(Object.values(ENTITY_PATHS).map((e) => [e, new Map()]));
  const meta = () => ({ CreateTime: '2026-01-05T10:00:00-08:00', LastUpdatedTime: '2026-01-05T10:00:00-08:00' });
  for (const c of CUSTOMERS) {
    db.get('Customer')!.set(c.Id, {
      Id: c.Id,
      SyncToken: '0',
      DisplayName: c.DisplayName,
      CompanyName: c.CompanyName,
      // QuickBooks has no account-id field: ours lives in the customer's Notes (documented in sandbox-seed.md).
      Notes: `account_id:${c.accountId}`,
      PrimaryEmailAddr: { Address: c.email },
      BillAddr: { ...c.BillAddr },
      Balance: 0,
      Active: true,
      CurrencyRef: currencyRef(c.currency ?? 'USD'),
      MetaData: meta(),
    });
  }
  for (const [Id, DocNumber, cust, total, balance, due, paymentId] of INVOICES) {
    const c = CUSTOMERS.find((x) => x.Id === cust)!;
    const cur = c.currency ?? 'USD';
    const amount = (minor: number) => minorToAmount(minor, cur);
    db.get('Invoice')!.set(Id, {
      Id,
      SyncToken: '0',
      DocNumber,
      TxnDate: '2026-08-01',
      DueDate: due,
      CustomerRef: { value: cust, name: c.DisplayName },
      Line: [
        {
          Id: '1',
          LineNum: 1,
          Amount: amount(total),
          DetailType: 'SalesItemLineDetail',
          SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' } },
          Description: 'Subscription',
        },
      ],
      TotalAmt: amount(total),
      Balance: amount(balance),
      BillEmail: { Address: c.email },
      EmailStatus: 'NotSet',
      CurrencyRef: currencyRef(cur),
      ...(paymentId ? { LinkedTxn: [{ TxnId: paymentId, TxnType: 'Payment' }] } : {}),
      MetaData: meta(),
    });
    db.get('Customer')!.get(cust)!.Balance = amount(amountToMinor(Number(db.get('Customer')!.get(cust)!.Balance), cur) + balance);
    if (paymentId) {
      db.get('Payment')!.set(paymentId, {
        Id: paymentId,
        SyncToken: '0',
        TxnDate: '2026-09-15',
        CustomerRef: { value: cust, name: c.DisplayName },
        TotalAmt: amount(total),
        UnappliedAmt: 0,
        Line: [{ Amount: amount(total), LinkedTxn: [{ TxnId: Id, TxnType: 'Invoice' }] }],
        CurrencyRef: currencyRef(cur),
        MetaData: meta(),
      });
    }
  }
  for (const [paymentId, invoiceId, applied, date] of DUPLICATE_PAYMENTS) {
    const inv = db.get('Invoice')!.get(invoiceId)!;
    addPayment(db, inv, paymentId, applied, date, meta());
  }
  // Payments received through QuickBooks Payments carry their charge (src/sandbox/systems/quickbooks-payments.ts).
  for (const c of SEED_CHARGES) chargeOn(db.get('Payment')!.get(c.paymentId)!, c.id);
  return db;
}

export const time = () => new Date().toISOString();

/** A payment of the invoice's customer applying `appliedMinor` to it; the invoice links it (LinkedTxn), as QuickBooks shows both sides. */
export function addPayment(
  db: Map<string, Map<string, Json>>,
  inv: Json,
  paymentId: string,
  appliedMinor: number,
  date: string,
  metaData: Json,
): void {
  const cur = ((inv.CurrencyRef as Json | undefined)?.value as string | undefined) ?? 'USD';
  const amount = minorToAmount(appliedMinor, cur);
  db.get('Payment')!.set(paymentId, {
    Id: paymentId,
    SyncToken: '0',
    TxnDate: date,
    CustomerRef: { ...(inv.CustomerRef as Json) },
    TotalAmt: amount,
    UnappliedAmt: 0,
    Line: [{ Amount: amount, LinkedTxn: [{ TxnId: String(inv.Id), TxnType: 'Invoice' }] }],
    CurrencyRef: inv.CurrencyRef,
    MetaData: metaData,
  });
  inv.LinkedTxn = [...((inv.LinkedTxn as Json[] | undefined) ?? []), { TxnId: paymentId, TxnType: 'Payment' }];
}

/** A card payment processed by QuickBooks Payments: the charge id as `CreditCardPayment.CreditChargeResponse.CCTransId`. */
export function chargeOn(payment: Json, chargeId: string): void {
  payment.CreditCardPayment = { CreditChargeResponse: { CCTransId: chargeId } };
}
