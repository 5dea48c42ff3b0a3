/**
 * `POST /slack/interactions`: Slack's Request URL for buttons and modals.
 *
 * Our own handler rather than Bolt's ExpressReceiver: Bolt brings a second app model (its own
 * router, body parsing and listener registry) into an express 5 app for two payload types, and its
 * `ack()` style invites acknowledging first and working later. Here the acknowledgement *is* the
 * point: Slack never redelivers a click it got a 200 for, so we answer only after Temporal has
 * accepted the decision (the update reached ACCEPTED) or refused it, within Slack's 3 s. A plain
 * router with the raw body, zod schemas and our signing check keeps that visible and testable.
 *
 * Flow: verify the signature over the raw body -> parse `payload` -> block_actions: Reject and
 * Contest open the reason modal (views.open, inside the 3 s trigger window); other buttons become a
 * `decide` update -> view_submission: the reason becomes a `decide` update. Refusals (validator
 * rejections) go privately to the clicker through `response_url`; the message itself is updated by
 * the workflow (its Slack activity), so every path to a decision shows the same outcome.
 * The same buttons sit on the Home tab (home.ts): their clicks come from a `view` container with no
 * response_url, so the answer there is the tab itself, published again with a notice (home-tab.ts);
 * every recorded decision also publishes the decider's tab and those of whom the case now waits on.
 */
import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateStage, type Client, type WorkflowUpdateHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../logger';
import type { SlackApi } from '../connectors/slack';
import {
  DECISION_REJECTED_ERROR_TYPE,
  DecisionAction,
  DecisionRejection,
  type Decision,
  type DecisionOutcome,
  MAX_DECISION_REASON,
} from '../domain/decision';
import { decideUpdate } from '../workflows/messages';
import { rawBodyOf, slackSigned } from './signed-request';
import { suppressText } from '../intake/suppression';
import { signDecision } from '../proofs/decision-proof';
import { handOffModal, reasonModal } from '../connectors/slack-blocks';
import type { HomeTab } from './home-tab';
import { createBackground, type Background } from './background';
import { HAND_OFF_MODAL, REASON_MODAL, decodeModalMetadata, type ButtonValue, type ModalMetadata } from '../connectors/slack-buttons';
import {
  actionTarget,
  handOffTarget,
  slackActor,
  blockActionsPayloadSchema,
  needsReason,
  viewSubmissionPayloadSchema,
  type ViewSubmissionPayload,
} from './interactions';

export interface SlackRouteDeps {
  client: Client;
  signingSecret: string;
  /** Signs each decision after Slack's signature checked out, so the worker can tell it came through here. */
  decisionKey: string;
  /** views.open for the reason modal (a client with a short timeout: the trigger lives 3 s). */
  slack: Pick<SlackApi, 'openView'>;
  logger: Logger;
  /** How long Temporal may take to accept a decision before we answer 503 (Slack allows 3 s in all). */
  acceptBudgetMs?: number;
  /** Posts a private reply to a `response_url`; injectable for tests. */
  respond?: (responseUrl: string, body: Record<string, unknown>) => Promise<void>;
  /** Publishes Home tabs again once a decision landed (unset: no Home tab). */
  homeTab?: Pick<HomeTab, 'publish' | 'afterDecision'>;
  /** Where the work after Slack's answer is tracked for a shutdown (the app's; unset: a tracker of its own). */
  background?: Background;
}

/** What the clicker reads when a decision did not count. */
export const REFUSAL_TEXT: Record<DecisionRejection, string> = {
  not_authorized: 'You are not authorized to decide on this request. Nothing changed.',
  already_counted: 'Already decided: your decision on this request was already recorded. Nothing changed.',
  stale_request:
    'This request was replaced by a newer one, or the button did not match what it asks (amount, invoice, kind). Nothing changed; please use the latest message.',
  case_closed: 'Already decided: this case is closed. Nothing changed.',
  invalid_action: 'That action does not apply to this request. Nothing changed.',
  unauthenticated: 'This decision could not be verified as coming from Slack. Nothing changed.',
  invalid_hand_off: 'You can hand a request only to another approver of it who has not answered it yet. Nothing changed.',
};

/** The workflow keeps reasons up to this length (src/workflows/decision-gate.ts). */
const MAX_REASON_LENGTH = MAX_DECISION_REASON;

/** The refusal code in a validator rejection ("<code>: text"), or undefined for any other failure. */
export function refusalCode(err: unknown): DecisionRejection | undefined {
  const cause = (err as { cause?: unknown })?.cause ?? err;
  if (!(cause instanceof ApplicationFailure) || cause.type !== DECISION_REJECTED_ERROR_TYPE) return undefined;
  const code = cause.message.split(':')[0].trim();
  return (Object.values(DecisionRejection) as string[]).includes(code) ? (code as DecisionRejection) : DecisionRejection.InvalidAction;
}

async function postToResponseUrl(responseUrl: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`response_url answered ${res.status}`);
}

/**
 * What a person typed into a modal (a reason, a hand-off note), trimmed and suppressed as the
 * intake suppresses a call: it travels on into history, the ticket note and the Slack message, and
 * a card number, bank detail or tax id typed here must not.
 */
function typedText(raw: string | null | undefined): string {
  return suppressText((raw ?? '').trim()).text;
}

/** A modal's answer: an empty 200 closes it; when nothing could be recorded, it stays open with the error under `blockId`. */
function answerModal(res: Response, result: 'accepted' | 'unavailable', blockId: string, what: string): void {
  if (result === 'accepted') res.status(200).end();
  else res.json({ response_action: 'errors', errors: { [blockId]: `Could not record the ${what} right now. Please submit again.` } });
}

export function createSlackInteractionsRouter(deps: SlackRouteDeps): Router {
  const { client, logger } = deps;
  const budget = deps.acceptBudgetMs ?? 2500;
  const respond = deps.respond ?? postToResponseUrl;
  const router = express.Router();
  // Work that goes on after Slack got its answer, on the Temporal client (src/slack/background.ts).
  const background = deps.background ?? createBackground();
  const inBackground = (p: Promise<unknown> | undefined): void => background.track(p);

  const tellClicker = (responseUrl: string | undefined, text: string, ids: Record<string, string>) => {
    if (!responseUrl) return;
    respond(responseUrl, { response_type: 'ephemeral', replace_original: false, text }).catch((err: Error) =>
      logger.warn({ ...ids, err: err.message }, 'could not reply to the clicker'),
    );
  };

  /**
   * Sends the decision as an update and waits until Temporal has accepted (or refused) it.
   * `accepted`: durable (or a known refusal, told to the clicker); `unavailable`: nothing is known, answer non-200.
   */
  async function submitDecision(
    target: ButtonValue,
    claims: Decision,
    responseUrl: string | undefined,
    fromHome: boolean,
  ): Promise<'accepted' | 'unavailable'> {
    // Signed only here, after the Slack signature was verified: the actor is Slack's `user`, the source is this route.
    const decision = signDecision(deps.decisionKey, target.w, { ...claims, source: 'slack' });
    const ids = { workflowId: target.w, requestId: target.r, action: target.a, userId: decision.actor.id };
    // One update id per (request, person, action, what the click says): a double click or a retried
    // delivery is the same update, which Temporal records once, refusal included. What the click
    // says (the approved subject, the hand-off target, the reason, the chosen case) is in the id,
    // so a refused click (an altered button, a hand-off to someone who may not decide) never
    // answers for the person's later, different click on the same request.
    const said = createHash('sha256')
      .update(JSON.stringify([claims.subject ?? null, claims.handTo ?? null, claims.reason ?? null, claims.caseType ?? null]))
      .digest('base64url')
      .slice(0, 16);
    const updateId = `slack:${target.r}:${decision.actor.id}:${target.a}${target.c ? `:${target.c}` : ''}:${said}`;
    // A click in the Home tab has no response_url: the answer is the tab, published again with a notice.
    const tellHome = (text: string) => {
      if (fromHome) inBackground(deps.homeTab?.publish(decision.actor.id, { notice: text, alsoCheck: [target.w] }));
    };
    let handle: WorkflowUpdateHandle<DecisionOutcome>;
    try {
      handle = await client.withDeadline(Date.now() + budget, () =>
        client.workflow
          .getHandle(target.w)
          .startUpdate(decideUpdate, { args: [decision], waitForStage: WorkflowUpdateStage.ACCEPTED, updateId }),
      );
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        logger.info({ ...ids, code: DecisionRejection.CaseClosed }, 'slack decision refused: case not running');
        tellClicker(responseUrl, REFUSAL_TEXT.case_closed, ids);
        tellHome(REFUSAL_TEXT.case_closed);
        return 'accepted';
      }
      logger.warn({ ...ids, err: (err as Error).message }, 'slack decision not accepted in time');
      return 'unavailable';
    }
    // Accepted or refused is now known to Temporal. A refusal leaves no history, so it is logged here.
    // The outcome only feeds a private confirmation; stop waiting for it after 30 s.
    inBackground(
      client
        .withAbortSignal(AbortSignal.timeout(30_000), () => handle.result())
        .then((outcome) => {
          tellClicker(responseUrl, `Recorded: ${outcome.message}`, ids);
          // The decider's tab, and the tabs of whom the case waits on now, no longer show the old state.
          inBackground(
            deps.homeTab?.afterDecision(target.w, decision.actor.id, fromHome ? { notice: `Recorded: ${outcome.message}` } : {}),
          );
        })
        .catch((err: unknown) => {
          const code = refusalCode(err);
          if (code) {
            logger.info({ ...ids, updateId, code }, 'slack decision refused');
            tellClicker(responseUrl, REFUSAL_TEXT[code], ids);
            tellHome(REFUSAL_TEXT[code]);
          } else {
            logger.warn({ ...ids, updateId, err: (err as Error).message }, 'slack decision failed after acceptance');
          }
        }),
    );
    return 'accepted';
  }

  async function onBlockActions(raw: unknown, res: Response): Promise<void> {
    const parsed = blockActionsPayloadSchema.safeParse(raw);
    if (!parsed.success) {
      res.status(400).json({ error: 'bad_payload', message: 'block_actions payload is malformed' });
      return;
    }
    const p = parsed.data;
    const target = p.actions.map(actionTarget).find((t) => t !== undefined);
    // Not one of our decision buttons (e.g. a link button): acknowledge and do nothing.
    if (!target) {
      res.status(200).end();
      return;
    }
    const ids = { workflowId: target.w, requestId: target.r, action: target.a, userId: p.user.id };
    // Buttons in the Home tab: the container is the view, there is no channel, message or response_url.
    const fromHome = p.container?.type === 'view' && p.view?.type === 'home';
    if (needsReason(target.a) || target.a === DecisionAction.HandOff) {
      if (!p.trigger_id) {
        res.status(400).json({ error: 'bad_payload', message: 'trigger_id missing' });
        return;
      }
      const metadata: ModalMetadata = {
        ...target,
        ...((p.container?.channel_id ?? p.channel?.id) ? { ch: p.container?.channel_id ?? p.channel?.id } : {}),
        ...((p.container?.message_ts ?? p.message?.ts) ? { ts: p.container?.message_ts ?? p.message?.ts } : {}),
        ...(p.response_url ? { ru: p.response_url } : {}),
        ...(fromHome ? { h: 1 as const } : {}),
      };
      try {
        const privateMetadata = JSON.stringify(metadata);
        await deps.slack.openView(
          p.trigger_id,
          target.a === DecisionAction.HandOff ? handOffModal({ privateMetadata }) : reasonModal({ action: target.a, privateMetadata }),
        );
      } catch (err) {
        logger.warn({ ...ids, err: (err as Error).message }, 'could not open the reason modal');
        tellClicker(p.response_url, 'Could not open the form. Please click again.', ids);
        if (fromHome) inBackground(deps.homeTab?.publish(p.user.id, { notice: 'Could not open the form. Please click again.' }));
      }
      res.status(200).end();
      return;
    }
    const decision: Decision = {
      requestId: target.r,
      action: target.a,
      actor: slackActor(p.user),
      ...(target.c ? { caseType: target.c } : {}),
      ...subjectOf(target),
      source: 'slack',
    };
    const result = await submitDecision(target, decision, p.response_url, fromHome);
    if (result === 'accepted') res.status(200).end();
    else
      res
        .status(503)
        .json({ error: 'unavailable', message: 'The decision could not be recorded right now; nothing changed. Please try again.' });
  }

  async function onViewSubmission(raw: unknown, res: Response): Promise<void> {
    const parsed = viewSubmissionPayloadSchema.safeParse(raw);
    if (!parsed.success) {
      res.status(400).json({ error: 'bad_payload', message: 'view_submission payload is malformed' });
      return;
    }
    const p = parsed.data;
    if (p.view.callback_id === HAND_OFF_MODAL.callbackId) return onHandOffSubmission(p, res);
    if (p.view.callback_id !== REASON_MODAL.callbackId) {
      res.status(200).end();
      return;
    }
    const meta = decodeModalMetadata(p.view.private_metadata);
    if (!meta) {
      res.status(400).json({ error: 'bad_payload', message: 'modal metadata is malformed' });
      return;
    }
    const reason = typedText(p.view.state.values[REASON_MODAL.blockId]?.[REASON_MODAL.actionId]?.value);
    if (!reason || reason.length > MAX_REASON_LENGTH) {
      res.json({
        response_action: 'errors',
        errors: { [REASON_MODAL.blockId]: reason ? `At most ${MAX_REASON_LENGTH} characters.` : 'Please give a reason.' },
      });
      return;
    }
    const decision: Decision = {
      requestId: meta.r,
      action: meta.a,
      actor: slackActor(p.user),
      reason,
      ...(meta.c ? { caseType: meta.c } : {}),
      source: 'slack',
    };
    answerModal(res, await submitDecision(meta, decision, meta.ru, meta.h === 1), REASON_MODAL.blockId, 'decision');
  }

  /** The hand-off modal: the picked approver becomes the decision's `handTo`; the gate decides whether they may take it. */
  async function onHandOffSubmission(p: ViewSubmissionPayload, res: Response): Promise<void> {
    const meta = decodeModalMetadata(p.view.private_metadata);
    if (!meta || meta.a !== DecisionAction.HandOff) {
      res.status(400).json({ error: 'bad_payload', message: 'modal metadata is malformed' });
      return;
    }
    const values = p.view.state.values;
    const handTo = handOffTarget(values);
    const note = typedText(values[HAND_OFF_MODAL.noteBlockId]?.[HAND_OFF_MODAL.noteActionId]?.value);
    const errors: Record<string, string> = {};
    if (!handTo) errors[HAND_OFF_MODAL.userBlockId] = 'Please choose the approver to hand to.';
    else if (handTo === p.user.id) errors[HAND_OFF_MODAL.userBlockId] = 'You cannot hand a request to yourself.';
    if (note.length > MAX_REASON_LENGTH) errors[HAND_OFF_MODAL.noteBlockId] = `At most ${MAX_REASON_LENGTH} characters.`;
    if (Object.keys(errors).length > 0 || !handTo) {
      res.json({ response_action: 'errors', errors });
      return;
    }
    const decision: Decision = {
      requestId: meta.r,
      action: DecisionAction.HandOff,
      actor: slackActor(p.user),
      handTo,
      ...(note ? { reason: note } : {}),
      source: 'slack',
    };
    answerModal(res, await submitDecision(meta, decision, meta.ru, meta.h === 1), HAND_OFF_MODAL.userBlockId, 'hand-off');
  }

  router.post('/interactions', ...slackSigned(deps.signingSecret, logger, 'interaction'), async (req: Request, res: Response) => {
    const rawBody = rawBodyOf(req);
    const payloadText = new URLSearchParams(rawBody.toString('utf8')).get('payload');
    let payload: unknown;
    try {
      payload = payloadText ? JSON.parse(payloadText) : undefined;
    } catch {
      payload = undefined;
    }
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
      res.status(400).json({ error: 'bad_payload', message: 'Expected a form field `payload` with a JSON object.' });
      return;
    }
    const type = (payload as { type?: unknown }).type;
    if (type === 'block_actions') return onBlockActions(payload, res);
    if (type === 'view_submission') return onViewSubmission(payload, res);
    // Shortcuts, view_closed and the like: acknowledged, nothing to do.
    res.status(200).end();
  });

  return router;
}

/** The money subject a button carried (what the approver saw), as the decision signs it. */
function subjectOf(target: ButtonValue): Pick<Decision, 'subject'> {
  if (!target.s) return {};
  return { subject: { amountMinor: target.s.m, currency: target.s.c, ...(target.s.i ? { invoiceId: target.s.i } : {}), kind: target.s.k } };
}
