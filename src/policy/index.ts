/** Pure policy functions: no I/O, no environment. Used by workflows and intake. */
export * from './activity-retry';
export * from './billing-note';
export * from './format';
export * from './handoff';
export * from './refund';
export * from './review';
export * from './thresholds';
export * from './verified-email';
export * from './wording';
