/**
 * Slack stand-in: the Web API methods the service uses, at Slack's paths (`/api/<method>`, JSON or
 * form bodies, HTTP 200 with `ok:false` for errors, bearer bot token), plus the other direction:
 * a channel page whose buttons send properly signed `block_actions` to the service's Request URL,
 * modals opened by `views.open` whose submit sends a signed `view_submission`, and `response_url`
 * hooks that show ephemeral replies to the clicking user.
 *
 * The App Home tab too: `views.publish` keeps one `home` view per user, the Home page shows it with
 * working buttons (signed `block_actions` from a `view` container, as Slack sends them), and
 * opening the page sends a signed `app_home_opened` event to the service's Events Request URL.
 *
 * Control (under /_sandbox/slack): `GET /channel?as=<user>` (the page), `GET /home?as=<user>` (the
 * Home tab; opening it sends `app_home_opened`, `&refresh=1` only re-renders), `GET /state`,
 * `POST /click`, `POST /home/click`, `POST /home/open`, `POST /submit`, `POST /close`,
 * `POST /config {interactionsUrl, eventsUrl, signingSecret}`.
 *
 * The parts: the seed (./seed), the state and how Slack shapes objects (./state), the Web API
 * (./web-api), the deliveries to the service (./deliveries), the control routes (./control),
 * fault bodies (./faults). It must not import service code: it signs requests the way Slack does,
 * on its own.
 */
import type { SandboxSystem } from '../../core';
import { renderSlackPage } from '../../pages/slack-page';
import { controlRouter } from './control';
import { slackDeliveries } from './deliveries';
import { slackFaultBody } from './faults';
import { SLACK_SEED } from './seed';
import { SlackWorkspace, type SlackSandboxOptions, type SlackSandboxState } from './state';
import { webApiRouter } from './web-api';

export function createSlackSystem(
  opts: SlackSandboxOptions = {},
): SandboxSystem & { state: SlackSandboxState; configure(o: SlackSandboxOptions): void } {
  const ws = new SlackWorkspace(opts);
  const { state, settings } = ws;
  const deliveries = slackDeliveries(ws);
  return {
    name: 'slack',
    title: 'Slack',
    router: () => webApiRouter(ws),
    controlRouter: () => controlRouter(ws, deliveries),
    faultBody: slackFaultBody,
    reset: ws.reset,
    page: () => renderSlackPage({ state, seed: SLACK_SEED, as: undefined, channel: SLACK_SEED.channels[0].id }),
    state,
    configure(o: SlackSandboxOptions) {
      if (o.interactionsUrl !== undefined) settings.interactionsUrl = o.interactionsUrl;
      if (o.eventsUrl !== undefined) settings.eventsUrl = o.eventsUrl;
      if (o.signingSecret !== undefined) settings.signingSecret = o.signingSecret;
      if (o.botToken !== undefined) settings.botToken = o.botToken;
    },
  };
}
