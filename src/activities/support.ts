/**
 * Helpers shared by the business-step activities: the case reference an idempotency key derives
 * from (workflow id + step), money conversions, and the "email on file" guard.
 */
import { Context } from '@temporalio/activity';
import type { Money } from '../domain/case';
import { stableKey } from '../connectors/http';
import { ValidationError, type ConnectorSystem } from '../connectors/errors';

/** The running activity's case: its workflow id (the case id) and attempt number. */
export function currentCase(): { workflowId: string; attempt: number } {
  const info = Context.current().info;
  // Outside a workflow (a standalone activity) the activity id is the stable reference.
  return { workflowId: info.workflowExecution?.workflowId ?? info.activityId, attempt: info.attempt };
}

/** A short, stable idempotency key for (system, case, step): same across retries, unique per step. */
export function stepKey(system: ConnectorSystem, step: string, length = 32): string {
  if (!step || step.length > 200) throw new ValidationError({ system }, 'step must be a non-empty string of at most 200 characters');
  return stableKey([system, currentCase().workflowId, step], length);
}

/** Logs ids only (never emails, names or bodies). */
export function log(message: string, ids: Record<string, string | number | boolean | undefined>): void {
  Context.current().log.info(message, ids);
}

/** A decimal amount (number or string) in major units -> minor units. Rounds half away from zero. */
export function toMinor(amount: number | string): number {
  const s = typeof amount === 'number' ? amount.toFixed(6) : amount.trim();
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) throw new ValidationError({ system: 'quickbooks' }, `not a decimal amount: ${s}`);
  const frac = (m[3] ?? '').padEnd(3, '0');
  const cents = Number(m[2]) * 100 + Number(frac.slice(0, 2)) + (Number(frac[2]) >= 5 ? 1 : 0);
  return m[1] ? -cents : cents;
}

/** Floor variant, for balances: never report more than is there. */
export function toMinorFloor(amount: string): number {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) throw new ValidationError({ system: 'skyfire' }, `not a decimal amount: ${amount}`);
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0').slice(0, 2));
}

/** Minor units -> decimal string with two places, e.g. 12000 -> "120.00". */
export function toDecimal(amountMinor: number): string {
  if (!Number.isInteger(amountMinor)) throw new ValidationError({ system: 'quickbooks' }, 'amountMinor must be an integer');
  const abs = Math.abs(amountMinor);
  return `${amountMinor < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function requirePositive(system: ConnectorSystem, amount: Money): void {
  if (!Number.isInteger(amount.amountMinor) || amount.amountMinor <= 0) throw new ValidationError({ system }, 'amount must be a positive integer number of minor units');
  if (!/^[A-Z]{3}$/.test(amount.currency)) throw new ValidationError({ system }, 'currency must be an ISO 4217 code');
}

export const sameEmail = (a: string | undefined, b: string | undefined) => !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();
