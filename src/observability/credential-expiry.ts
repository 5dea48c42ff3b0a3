/**
 * When a rotating OAuth refresh token itself runs out. Intuit answers every refresh with
 * `x_refresh_token_expires_in`; a QuickBooks connection whose refresh token expires stops every
 * refund until someone reconnects the app, so the worker says so ahead of time:
 * - the gauge `billing_oauth_refresh_token_expiry_timestamp_seconds{system}` (epoch seconds, set at
 *   each refresh; alert on `... - time() < 14 * 86400`, as for certificates);
 * - a warning in the log at each refresh within the last 14 days.
 * Google's refresh tokens carry no expiry here (a service account mints without one).
 */
import type { MetricMeter } from '@temporalio/common';
import type { RefreshObserver } from '../connectors/oauth';
import type { Logger } from '../logger';

export const REFRESH_TOKEN_EXPIRY_METRIC = 'billing_oauth_refresh_token_expiry_timestamp_seconds';
/** Warn this long before the refresh token expires. */
export const REFRESH_TOKEN_WARN_MS = 14 * 86_400_000;

export function refreshTokenExpiryObserver(opts: { meter: () => MetricMeter; logger?: Logger; now?: () => number }): RefreshObserver {
  const now = opts.now ?? Date.now;
  return (system, refreshExpiresAt) => {
    if (refreshExpiresAt === undefined) return;
    opts
      .meter()
      .createGauge(REFRESH_TOKEN_EXPIRY_METRIC, 'int', 's', 'When the OAuth refresh token of a system expires (epoch seconds)')
      .set(Math.floor(refreshExpiresAt / 1000), { system });
    const left = refreshExpiresAt - now();
    if (left < REFRESH_TOKEN_WARN_MS) {
      const days = Math.max(0, Math.floor(left / 86_400_000));
      opts.logger?.warn(
        { system, refreshTokenExpiresAt: new Date(refreshExpiresAt).toISOString(), daysLeft: days },
        `the ${system} refresh token expires in ${days} day(s): reconnect the app and set the new refresh token before then, or every call to ${system} will fail`,
      );
    }
  };
}
