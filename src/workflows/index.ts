/**
 * Every workflow the worker registers (the workflow bundle's entry, `workflowsPath`): the one place
 * that re-exports, because Temporal registers exactly what this module exports. One file per case
 * type; shared machinery beside them.
 */
export * from './self-test';
export * from './refund-request';
export * from './invoice-resend';
export * from './renewal-failed';
export * from './billing-details-correction';
export * from './payment-blocker';
export * from './collections';
export * from './receipt-request';
export * from './charge-dispute';
export * from './triage';
export * from './money-lock';
export * from './reconcile-ledger';
