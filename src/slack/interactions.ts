/**
 * Slack interaction payloads (what Slack POSTs to our Request URL) and the compact ids we put into
 * buttons and modals, parsed with zod at the edge. Pure: no I/O.
 */
import { z } from 'zod';
import { CASE_TYPES, type CaseType } from '../domain/case';
import { type DecisionSubject, DecisionAction } from '../domain/decision';

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

const slackUser = z.object({
  id: z.string().min(1),
  username: z.string().optional(),
  name: z.string().optional(),
  team_id: z.string().optional(),
});

const blockAction = z.object({
  action_id: z.string(),
  block_id: z.string().optional(),
  type: z.string(),
  value: z.string().optional(),
  selected_option: z.object({ value: z.string() }).optional(),
  action_ts: z.string().optional(),
});

/** A button click (`type: block_actions`). Only the fields we use; Slack sends many more. */
export const blockActionsPayloadSchema = z.object({
  type: z.literal('block_actions'),
  user: slackUser,
  team: z.object({ id: z.string() }).nullish(),
  channel: z.object({ id: z.string(), name: z.string().optional() }).nullish(),
  container: z
    .object({ type: z.string(), message_ts: z.string().optional(), channel_id: z.string().optional(), view_id: z.string().optional() })
    .passthrough()
    .optional(),
  message: z.object({ ts: z.string() }).passthrough().optional(),
  /** Set when the button is on a view (the Home tab, a modal) rather than a message. */
  view: z.object({ id: z.string(), type: z.string(), callback_id: z.string().optional() }).passthrough().optional(),
  actions: z.array(blockAction).min(1),
  response_url: z.url().optional(),
  trigger_id: z.string().optional(),
});
export type BlockActionsPayload = z.infer<typeof blockActionsPayloadSchema>;

/** A modal submission (`type: view_submission`). */
export const viewSubmissionPayloadSchema = z.object({
  type: z.literal('view_submission'),
  user: slackUser,
  view: z.object({
    id: z.string(),
    callback_id: z.string(),
    private_metadata: z.string().optional(),
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.object({ type: z.string(), value: z.string().nullish() }).passthrough())),
    }),
  }),
});
export type ViewSubmissionPayload = z.infer<typeof viewSubmissionPayloadSchema>;

/** Any interaction; other types (shortcuts, view_closed, ...) are acknowledged and ignored. */
export const interactionPayloadSchema = z.discriminatedUnion('type', [blockActionsPayloadSchema, viewSubmissionPayloadSchema]);
export type InteractionPayload = z.infer<typeof interactionPayloadSchema>;

/**
 * The action id of a decision button, unique within the message as Slack requires: each triage
 * choice is its own action (`billing_choose_case_invoice_resend`), never one action shared by all.
 */
export function decisionActionId(action: DecisionAction, caseType?: CaseType): string {
  return caseType ? `billing_${action}_${caseType}` : `billing_${action}`;
}

/**
 * The clicked action as a decision target, or undefined if the click is not one of ours. The
 * button's action id must be the one its value names: a value carried over to another button
 * (or a choice whose action id says another case type) decides nothing.
 */
export function actionTarget(action: BlockActionsPayload['actions'][number]): ButtonValue | undefined {
  const target = decodeButtonValue(action.value ?? action.selected_option?.value);
  if (!target || action.action_id !== decisionActionId(target.a, target.c)) return undefined;
  return target;
}

/** Who clicked, as a decision's actor: the Slack user id, and the user name for the audit trail (never an email). */
export function slackActor(user: { id: string; username?: string; name?: string }): { id: string; name?: string } {
  const name = user.username ?? user.name;
  return { id: user.id, ...(name ? { name } : {}) };
}

/** The user a submitted hand-off modal names, if any. */
export function handOffTarget(values: ViewSubmissionPayload['view']['state']['values']): string | undefined {
  const picked = values[HAND_OFF_MODAL.userBlockId]?.[HAND_OFF_MODAL.userActionId] as { selected_user?: unknown } | undefined;
  return typeof picked?.selected_user === 'string' && picked.selected_user ? picked.selected_user : undefined;
}

/** Decisions that need a written reason (opened as a modal before anything is decided). */
export function needsReason(action: DecisionAction): boolean {
  return action === DecisionAction.Reject || action === DecisionAction.Contest;
}

export function isCaseType(v: string): v is CaseType {
  return (CASE_TYPES as readonly string[]).includes(v);
}
