/**
 * Slack activities: post approval requests and finance alerts, keep the message in step with the
 * case (votes, reminders, escalation, decision: buttons removed). Block Kit comes from
 * src/connectors/slack-blocks.ts; the Slack client from src/connectors/slack.ts.
 *
 * Slack has no idempotency keys, so every post carries message metadata naming the case and step;
 * a retried attempt first looks for the message an earlier attempt may have created (its response
 * lost) and returns that instead of posting twice.
 */
import { Context } from '@temporalio/activity';
import type { CaseActivities } from './contract';
import type { SlackMessageRef } from '../domain/views';
import type { SlackApi } from '../connectors/slack';
import { approvalBlocks, fallbackText, financeAlertBlocks, mention, mrkdwn } from '../connectors/slack-blocks';
import { fitMrkdwn, SLACK_LIMITS } from '../connectors/slack-text';

/** Metadata event type on every message this service posts. */
export const SLACK_MESSAGE_EVENT_TYPE = 'billing_case_message';

export interface SlackActivityDeps {
  slack: SlackApi;
}

type SlackActivities = Pick<CaseActivities, 'postApprovalRequest' | 'updateApprovalMessage' | 'postApprovalReminder' | 'postFinanceAlert'>;

function activityInfo(): { workflowId: string; attempt: number } {
  const info = Context.current().info;
  // Standalone activities have no workflow; the activity id then names the case step's owner.
  return { workflowId: info.workflowExecution?.workflowId ?? info.activityId, attempt: info.attempt };
}

export function createSlackActivities(deps: SlackActivityDeps): SlackActivities {
  const { slack } = deps;

  /** Posts once per (case, step): on a retry, a message an earlier attempt created is reused. */
  async function postOnce(msg: {
    channel: string;
    step: string;
    text: string;
    blocks: ReturnType<typeof approvalBlocks>;
    threadTs?: string;
  }): Promise<SlackMessageRef> {
    const { workflowId, attempt } = activityInfo();
    if (attempt > 1) {
      const earlier = await slack.findMessagesByMetadata(
        msg.channel,
        SLACK_MESSAGE_EVENT_TYPE,
        msg.threadTs ? { threadTs: msg.threadTs } : {},
      );
      const found = earlier.find((m) => m.payload.workflow_id === workflowId && m.payload.step === msg.step);
      if (found) return { channel: found.channel, ts: found.ts };
    }
    return slack.postMessage({
      channel: msg.channel,
      text: msg.text,
      blocks: msg.blocks,
      ...(msg.threadTs ? { threadTs: msg.threadTs } : {}),
      metadata: { event_type: SLACK_MESSAGE_EVENT_TYPE, event_payload: { workflow_id: workflowId, step: msg.step } },
    });
  }

  return {
    async postApprovalRequest({ step, channel, view }) {
      return postOnce({ channel, step, text: fallbackText(view.title, view.statusLine), blocks: approvalBlocks(view) });
    },

    // chat.update replaces the whole message, so repeating it is harmless: no idempotency check needed.
    async updateApprovalMessage({ message, view }) {
      return slack.updateMessage({
        channel: message.channel,
        ts: message.ts,
        text: fallbackText(view.title, view.statusLine),
        blocks: approvalBlocks(view),
      });
    },

    async postApprovalReminder({ step, message, text, mentions }) {
      // `text` is the workflow's own wording (mentions and counts, no caller text).
      const body = mentions.length > 0 ? `${mentions.map(mention).join(' ')} ${text}` : text;
      return postOnce({
        channel: message.channel,
        step,
        text: fitMrkdwn(body, SLACK_LIMITS.messageText),
        blocks: [{ type: 'section', text: mrkdwn(body) }],
        threadTs: message.ts,
      });
    },

    async postFinanceAlert({ step, channel, view }) {
      return postOnce({ channel, step, text: fallbackText(view.title), blocks: financeAlertBlocks(view) });
    },
  };
}
