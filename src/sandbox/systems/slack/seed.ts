/** The Slack stand-in's workspace: its team, app, bot, channel and people (docs/sandbox-seed.md § Slack). */
/** The bot token the sandbox accepts (mirrors the service's SANDBOX_TOKENS.slack; not a secret). */
export const SANDBOX_SLACK_BOT_TOKEN = 'sandbox-slack-bot-token';

/** Seed: docs/sandbox-seed.md § Slack. */
export const SLACK_SEED = {
  teamId: 'T0SANDBOX',
  teamDomain: 'sandbox',
  appId: 'A0BILLING',
  botUserId: 'U0BOT0001',
  botId: 'B0BILLING',
  channels: [{ id: 'C0FINANCE', name: 'finance' }],
  users: [
    { id: 'U0FIN0001', username: 'dana.finance', realName: 'Dana Finance', email: 'dana.finance@ourco.example', role: 'approver' },
    { id: 'U0FIN0002', username: 'sam.ledger', realName: 'Sam Ledger', email: 'sam.ledger@ourco.example', role: 'approver' },
    { id: 'U0CFO0001', username: 'casey.cfo', realName: 'Casey CFO', email: 'casey.cfo@ourco.example', role: 'second-tier approver' },
    {
      id: 'U0AGT0001',
      username: 'alex.agent',
      realName: 'Alex Agent',
      email: 'alex.agent@ourco.example',
      role: 'support agent (not an approver)',
    },
    { id: 'U0OWN0001', username: 'olivia.owner', realName: 'Olivia Owner', email: 'olivia.owner@ourco.example', role: 'account owner' },
    { id: 'U0OWN0002', username: 'omar.owner', realName: 'Omar Owner', email: 'omar.owner@ourco.example', role: 'account owner' },
  ],
} as const;

export type SlackSeedUser = (typeof SLACK_SEED.users)[number];
