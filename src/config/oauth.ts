/**
 * The OAuth credentials the service refreshes itself (src/connectors/oauth.ts): Intuit's for
 * QuickBooks, Google's for Gmail and Drive (a service account key, inline JSON or a key file, or
 * a user's refresh token). Half-set credentials are start-up issues; a key is never echoed.
 */
import fs from 'node:fs';
import type { Env } from './schema';
import type { OAuthConfig } from './types';

/** Google scopes each system's token asks for (Gmail: send, the sent-folder check, drafts; Drive: the case folders). */
export const GOOGLE_SCOPES: Record<'gmail' | 'drive', string[]> = {
  gmail: [
    'https://www.googleapis.com/auth/gmail.send',
    'https://www.googleapis.com/auth/gmail.readonly',
    'https://www.googleapis.com/auth/gmail.compose',
  ],
  drive: ['https://www.googleapis.com/auth/drive.file'],
};

/** QuickBooks' OAuth client and refresh token, or undefined (an issue when only some are set). */
export function intuitCredential(e: Env, issues: string[]): Extract<OAuthConfig, { kind: 'intuit' }> | undefined {
  if (e.QBO_CLIENT_ID && e.QBO_CLIENT_SECRET && e.QBO_REFRESH_TOKEN)
    return {
      kind: 'intuit',
      tokenUrl: e.QBO_OAUTH_TOKEN_URL,
      clientId: e.QBO_CLIENT_ID,
      clientSecret: e.QBO_CLIENT_SECRET,
      refreshToken: e.QBO_REFRESH_TOKEN,
    };
  if (e.QBO_CLIENT_ID || e.QBO_CLIENT_SECRET || e.QBO_REFRESH_TOKEN)
    issues.push('QBO_CLIENT_ID, QBO_CLIENT_SECRET and QBO_REFRESH_TOKEN: set all three (or none)');
  return undefined;
}

/** The Google credential for Gmail and Drive (scopes are added per system), or undefined. */
export function googleCredential(
  e: Env,
  issues: string[],
):
  | Omit<Extract<OAuthConfig, { kind: 'google-service-account' }>, 'scopes'>
  | Omit<Extract<OAuthConfig, { kind: 'google-user' }>, 'scopes'>
  | undefined {
  if (e.GOOGLE_SERVICE_ACCOUNT_KEY) {
    let json: string = e.GOOGLE_SERVICE_ACCOUNT_KEY;
    try {
      if (!json.trimStart().startsWith('{')) json = fs.readFileSync(json, 'utf8');
      const key = JSON.parse(json) as { client_email?: unknown; private_key?: unknown };
      if (typeof key.client_email !== 'string' || typeof key.private_key !== 'string')
        throw new Error('the key has no client_email or private_key');
      return {
        kind: 'google-service-account',
        tokenUrl: e.GOOGLE_OAUTH_TOKEN_URL,
        clientEmail: key.client_email,
        privateKey: key.private_key,
        subject: e.GOOGLE_IMPERSONATE ?? e.GMAIL_SENDER,
      };
    } catch (err) {
      // Never echo the value: it is a private key (or its path).
      issues.push(
        `GOOGLE_SERVICE_ACCOUNT_KEY: expected a service account key (JSON or a path to it): ${(err as Error).message.replace(/\n.*$/s, '').slice(0, 80)}`,
      );
      return undefined;
    }
  }
  if (e.GOOGLE_CLIENT_ID && e.GOOGLE_CLIENT_SECRET && e.GOOGLE_REFRESH_TOKEN) {
    return {
      kind: 'google-user',
      tokenUrl: e.GOOGLE_OAUTH_TOKEN_URL,
      clientId: e.GOOGLE_CLIENT_ID,
      clientSecret: e.GOOGLE_CLIENT_SECRET,
      refreshToken: e.GOOGLE_REFRESH_TOKEN,
    };
  }
  if (e.GOOGLE_CLIENT_ID || e.GOOGLE_CLIENT_SECRET || e.GOOGLE_REFRESH_TOKEN)
    issues.push('GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN: set all three (or none)');
  return undefined;
}
