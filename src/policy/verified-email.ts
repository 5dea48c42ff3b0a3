/**
 * The verified-email rule (docs/product.md §4): invoices, receipts and follow-ups go only to an email
 * already on file (invoice BillEmail, QuickBooks customer, HubSpot contact). A caller asking for
 * another address is not refused outright: the request goes to review.
 */

/** The outcome of the rule. `to` is the address to use; `requested` is kept for the reviewer only. */
export type RecipientCheck =
  | { status: 'verified'; to: string }
  /** The caller named an address that is not on file: review before anything is sent. */
  | { status: 'unverified'; requested: string; onFile?: string }
  /** Nothing on file and nothing asked for: nobody to send to. */
  | { status: 'none' };

const normalise = (email: string) => email.trim().toLowerCase();

/** A syntactically plausible address (one @, something on both sides, a dot in the domain, no spaces). */
export function looksLikeEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
}

/**
 * Decide where a document may go. `requested` is the address the caller gave (may be absent);
 * `onFile` are the addresses the systems of record hold, in order of preference.
 */
export function checkRecipient(requested: string | undefined, onFile: (string | undefined)[]): RecipientCheck {
  const known = onFile.filter((e): e is string => typeof e === 'string' && looksLikeEmail(e));
  if (requested !== undefined && requested.trim() !== '') {
    const match = known.find((e) => normalise(e) === normalise(requested));
    if (match) return { status: 'verified', to: match };
    return known[0]
      ? { status: 'unverified', requested: requested.trim(), onFile: known[0] }
      : { status: 'unverified', requested: requested.trim() };
  }
  return known[0] ? { status: 'verified', to: known[0] } : { status: 'none' };
}
