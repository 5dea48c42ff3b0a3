import assert from 'node:assert/strict';
import { computeSlackSignature, verifySlackSignature } from '../../src/slack/signing';

// Slack's worked example (docs: "Verifying requests from Slack"); pins our basestring to theirs.
const DOC = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};
const at = Number(DOC.timestamp);

describe('Slack request signing', () => {
  it("computes Slack's documented example signature", () => {
    assert.equal(computeSlackSignature(DOC.secret, DOC.timestamp, DOC.body), DOC.signature);
  });

  it("accepts Slack's documented example inside the 5-minute window", () => {
    assert.deepEqual(
      verifySlackSignature({
        signingSecret: DOC.secret,
        rawBody: Buffer.from(DOC.body),
        signature: DOC.signature,
        timestamp: DOC.timestamp,
        nowSeconds: at + 299,
      }),
      { ok: true },
    );
  });

  it('refuses a request older or newer than 5 minutes (replay)', () => {
    const base = { signingSecret: DOC.secret, rawBody: DOC.body, signature: DOC.signature, timestamp: DOC.timestamp };
    assert.deepEqual(verifySlackSignature({ ...base, nowSeconds: at + 301 }), { ok: false, reason: 'stale_timestamp' });
    assert.deepEqual(verifySlackSignature({ ...base, nowSeconds: at - 301 }), { ok: false, reason: 'stale_timestamp' });
  });

  it('refuses a tampered body, a wrong secret and a truncated signature', () => {
    const base = { signingSecret: DOC.secret, rawBody: DOC.body, signature: DOC.signature, timestamp: DOC.timestamp, nowSeconds: at };
    assert.deepEqual(verifySlackSignature({ ...base, rawBody: DOC.body.replace('roadrunner', 'coyote') }), {
      ok: false,
      reason: 'bad_signature',
    });
    assert.deepEqual(verifySlackSignature({ ...base, signingSecret: 'another-secret-entirely' }), { ok: false, reason: 'bad_signature' });
    assert.deepEqual(verifySlackSignature({ ...base, signature: DOC.signature.slice(0, -2) }), { ok: false, reason: 'bad_signature' });
  });

  it('refuses missing headers and a non-numeric timestamp', () => {
    const base = { signingSecret: DOC.secret, rawBody: DOC.body, nowSeconds: at };
    assert.deepEqual(verifySlackSignature({ ...base, signature: undefined, timestamp: DOC.timestamp }), {
      ok: false,
      reason: 'missing_headers',
    });
    assert.deepEqual(verifySlackSignature({ ...base, signature: DOC.signature, timestamp: undefined }), {
      ok: false,
      reason: 'missing_headers',
    });
    assert.deepEqual(verifySlackSignature({ ...base, signature: DOC.signature, timestamp: '1531420618.5' }), {
      ok: false,
      reason: 'bad_timestamp',
    });
  });
});
