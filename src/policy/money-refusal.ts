/**
 * Why the money path refused to move money (docs/product.md §7): the codes the money rules return, the
 * money activity records and the workflows branch on. Their words for people are in ./wording.
 */
export const MoneyRefusal = {
  CustomerNotFound: 'customer_not_found',
  CurrencyMismatch: 'currency_mismatch',
  InvoiceNotFound: 'invoice_not_found',
  InvoiceOfAnotherCustomer: 'invoice_of_another_customer',
  /** Everything paid on the invoice has been refunded or credited already (by this or another case). */
  AlreadyRefunded: 'already_refunded',
  /** Nothing was paid on the invoice: there is no money to give back (a credit against its balance is another kind). */
  NothingPaid: 'nothing_paid',
  ExceedsAmountPaid: 'exceeds_amount_paid',
  /** A credit against the unpaid balance: everything open on the invoice was credited already (by this or another case). */
  BalanceAlreadyCredited: 'balance_already_credited',
  ExceedsOpenBalance: 'exceeds_open_balance',
  /** The automation policy no longer allows this refund unattended. */
  NotAutomatable: 'not_automatable',
  /** The approvals do not satisfy the policy as it is now (an approver removed, a threshold changed, a proof invalid). */
  ApprovalsInsufficient: 'approvals_insufficient',
  /** The ledger released the reservation on evidence that the money did not move (QuickBooks refused the write). */
  Released: 'released',
  /**
   * This case's money step is already in the ledger for another customer, invoice, amount, currency
   * or kind (a workflow started again under an old id): nothing moves, and nothing old is reported as this.
   */
  LedgerConflict: 'ledger_conflict',
} as const;
export type MoneyRefusal = (typeof MoneyRefusal)[keyof typeof MoneyRefusal];
