/**
 * Helpers shared by the business-step activities: the case reference an idempotency key derives
 * from (workflow id + step), money conversions, and the "email on file" guard.
 */
import { Context } from '@temporalio/activity';
import type { Money } from '../domain/case';
import { toMajorDecimal, toMinorUnits } from '../domain/money';
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

/** A decimal amount (number or string) in major units of `currency` -> minor units by its ISO 4217 exponent. Rounds half away from zero. */
export function toMinor(amount: number | string, currency: string, system: ConnectorSystem = 'quickbooks'): number {
  try {
    return toMinorUnits(amount, currency, 'half-up');
  } catch (err) {
    throw new ValidationError({ system }, (err as Error).message);
  }
}

/** Floor variant, for balances: never report more than is there. */
export function toMinorFloor(amount: string, currency: string, system: ConnectorSystem = 'skyfire'): number {
  try {
    return toMinorUnits(amount, currency, 'floor');
  } catch (err) {
    throw new ValidationError({ system }, (err as Error).message);
  }
}

/** Minor units -> decimal string with the currency's places, e.g. 12000 USD -> "120.00", 5000 JPY -> "5000". */
export function toDecimal(amountMinor: number, currency: string, system: ConnectorSystem = 'quickbooks'): string {
  if (!Number.isInteger(amountMinor)) throw new ValidationError({ system }, 'amountMinor must be an integer');
  return toMajorDecimal(amountMinor, currency);
}

export function requirePositive(system: ConnectorSystem, amount: Money): void {
  if (!Number.isInteger(amount.amountMinor) || amount.amountMinor <= 0)
    throw new ValidationError({ system }, 'amount must be a positive integer number of minor units');
  if (!/^[A-Z]{3}$/.test(amount.currency)) throw new ValidationError({ system }, 'currency must be an ISO 4217 code');
}

export const sameEmail = (a: string | undefined, b: string | undefined) => !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();
