/**
 * Several intents, several facts (issue 24 §9). DialNexa's analysis has one `invoice_number` and
 * one `amount` per call; a call with two requests ("resend INV-1001 and refund 300 on INV-1003")
 * still gets one of each. When the call names more than one value of such a field, the intake
 * cannot tell which belongs to which request, so every case of the call is reviewed by a person
 * before it acts on the shared field. Pure.
 */
import type { BillingFields, CaseType, SharedField } from '../domain/case';
import { formatMoney } from '../domain/money';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Invoice references in text: "invoice 1003", "invoice #A-77", and the field's own shape (INV-1001). */
function invoiceRefs(texts: string[], field: string | undefined): Set<string> {
  const refs = new Set<string>();
  const shapes = [/\binvoice\s*(?:number|no\.?|#)?\s*:?\s*#?([A-Z0-9][A-Z0-9-]*\d)\b/gi];
  const prefix = field ? /^(.*?[^\d])\d+$/.exec(field)?.[1] : undefined;
  if (prefix && /[A-Za-z]/.test(prefix)) shapes.push(new RegExp(`(?<![\\w-])(${escape(prefix)}\\d+)(?![\\w-])`, 'gi'));
  for (const t of texts) for (const re of shapes) for (const m of t.matchAll(re)) refs.add(m[1].toUpperCase());
  if (field) refs.add(field.toUpperCase());
  return refs;
}

/** Money amounts said with a currency ("$300", "300 dollars", "USD 1,250.00"), in minor units of `currency`. */
function amountRefs(texts: string[], currency: string): Set<number> {
  const out = new Set<number>();
  const re =
    /(?:[$€£]\s?|\b(?:USD|EUR|GBP)\s?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\b|\b(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s?(?:dollars|euros|pounds|USD|EUR|GBP)\b/gi;
  for (const t of texts)
    for (const m of t.matchAll(re)) {
      const whole = (m[1] ?? m[3]).replace(/,/g, '');
      const fraction = (m[2] ?? m[4] ?? '').padEnd(2, '0');
      out.add(Number(whole) * 100 + Number(fraction || 0));
    }
  // Only two-decimal currencies are compared; others are left to the case's own checks.
  return ['USD', 'EUR', 'GBP'].includes(currency) ? out : new Set();
}

/**
 * The fields a call's intents share although the call names several values for them. Only for
 * calls with two or more case types (triage excluded); a field the call names once is not shared.
 */
export function sharedFields(caseTypes: CaseType[], fields: BillingFields, texts: (string | undefined)[]): SharedField[] {
  const intents = caseTypes.filter((c) => c !== 'triage');
  if (intents.length < 2) return [];
  const said = texts.filter((t): t is string => typeof t === 'string');
  const out: SharedField[] = [];
  const invoices = invoiceRefs(said, fields.invoiceNumber);
  if (fields.invoiceNumber && invoices.size > 1)
    out.push({ field: 'invoice_number', value: fields.invoiceNumber, mentioned: [...invoices].sort(), intents });
  if (fields.amount) {
    const amounts = amountRefs(said, fields.amount.currency);
    amounts.add(fields.amount.amountMinor);
    if (amounts.size > 1)
      out.push({
        field: 'amount',
        value: formatMoney(fields.amount.amountMinor, fields.amount.currency),
        mentioned: [...amounts].sort((a, b) => a - b).map((m) => formatMoney(m, fields.amount!.currency)),
        intents,
      });
  }
  return out;
}
