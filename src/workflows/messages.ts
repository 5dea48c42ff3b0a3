/**
 * The update, signal and query a case workflow defines, shared with its callers (the API's Slack
 * route, the operator API, tests). The vocabulary they carry lives in src/domain (import it from there).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CaseState } from '../domain/case-state';
import type { DecisionOutcome, SignedDecision } from '../domain/decision';

/** Decide on the current approval request. An update, not a signal: the clicker must learn whether it counted. */
export const decideUpdate = defineUpdate<DecisionOutcome, [SignedDecision]>('decide');
/**
 * The same decision as a signal. Same rules: without a proof made by the API it changes nothing,
 * so the Temporal UI's signal button and the CLI cannot approve (the refusal is logged and counted).
 */
export const decideSignal = defineSignal<[SignedDecision]>('decideSignal');
export const statusQuery = defineQuery<CaseState>('status');
