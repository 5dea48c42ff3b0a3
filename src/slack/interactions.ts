/**
 * Slack interaction payloads (what Slack POSTs to our Request URL), parsed with zod at the edge,
 * and what a click or a submission decides. The ids our buttons and modals carry are written and
 * read by src/connectors/slack-buttons.ts. Pure: no I/O.
 */
import { z } from 'zod';
import { CASE_TYPES, type CaseType } from '../domain/case';
import { DecisionAction } from '../domain/decision';
import { decisionActionId, decodeButtonValue, HAND_OFF_MODAL, type ButtonValue } from '../connectors/slack-buttons';

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
