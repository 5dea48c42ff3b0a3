/**
 * What our Slack buttons and modals carry: the compact JSON in a button's `value` (which case,
 * which approval request, which decision; for triage, which case type; for money, what the click
 * approves), a modal's `private_metadata`, and the block and action ids. Written by the Block Kit
 * builders (./slack-blocks), read back by the edge (src/slack/interactions.ts). Pure: no I/O.
 */
import { z } from 'zod';
import { CASE_TYPES, type CaseType } from '../domain/case';
import { DecisionAction, type DecisionSubject } from '../domain/decision';

const decisionActions = Object.values(DecisionAction) as [DecisionAction, ...DecisionAction[]];

/**
 * What a button carries in its `value` (compact JSON, well under Slack's 2000 chars): which case,
 * which approval request, which decision; for triage, which case type.
 */
export const buttonValueSchema = z.object({
  /** Workflow id of the case. */
  w: z.string().min(1).max(400),
  /** Approval request id: a click on an older request changes nothing. */
  r: z.string().min(1).max(200),
  a: z.enum(decisionActions),
  c: z.enum(CASE_TYPES).optional(),
  /** Money requests' counting button: what the click approves (amount in minor units, currency, invoice id, kind). */
  s: z
    .object({
      m: z.number().int().positive(),
      c: z.string().regex(/^[A-Z]{3}$/),
      i: z.string().min(1).max(100).optional(),
      // A dispute credited and refunded names both amounts: `balance_credit:<minor>+refund_receipt:<minor>`.
      k: z.string().min(1).max(80),
    })
    .optional(),
});
export type ButtonValue = z.infer<typeof buttonValueSchema>;

/** What a money request's counting button carries of its subject (compact keys). */
export function subjectButtonValue(s: DecisionSubject): NonNullable<ButtonValue['s']> {
  return { m: s.amountMinor, c: s.currency, ...(s.invoiceId ? { i: s.invoiceId } : {}), k: s.kind };
}

export function encodeButtonValue(v: ButtonValue): string {
  return JSON.stringify(v);
}

/** Parses a button value; undefined for anything we did not write. */
export function decodeButtonValue(raw: string | undefined): ButtonValue | undefined {
  if (!raw) return undefined;
  try {
    const parsed = buttonValueSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The reason modal's `private_metadata`: the clicked button plus where to answer the clicker. */
export const modalMetadataSchema = buttonValueSchema.extend({
  /** Channel and ts of the approval message. */
  ch: z.string().optional(),
  ts: z.string().optional(),
  /** The click's response_url, for a private reply after the submission. */
  ru: z.url().optional(),
  /** Opened from the Home tab (no response_url there): the answer goes to the tab. */
  h: z.literal(1).optional(),
});
export type ModalMetadata = z.infer<typeof modalMetadataSchema>;

export function decodeModalMetadata(raw: string | undefined): ModalMetadata | undefined {
  if (!raw) return undefined;
  try {
    const parsed = modalMetadataSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The reason modal's ids (block_id / action_id of the input), shared by the builder and the parser. */
export const REASON_MODAL = { callbackId: 'billing_decision_reason', blockId: 'reason', actionId: 'reason_input' } as const;

/** The hand-off modal's ids: whom to hand to (a users_select) and an optional note. */
export const HAND_OFF_MODAL = {
  callbackId: 'billing_hand_off',
  userBlockId: 'hand_to',
  userActionId: 'hand_to_input',
  noteBlockId: 'note',
  noteActionId: 'note_input',
} as const;

/**
 * The action id of a decision button, unique within the message as Slack requires: each triage
 * choice is its own action (`billing_choose_case_invoice_resend`), never one action shared by all.
 */
export function decisionActionId(action: DecisionAction, caseType?: CaseType): string {
  return caseType ? `billing_${action}_${caseType}` : `billing_${action}`;
}
