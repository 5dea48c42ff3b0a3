import assert from 'node:assert/strict';
import { createBackground } from '../../src/slack/background';

describe('Slack background work (what a shutdown waits for before closing the Temporal client)', () => {
  it('drain waits for tracked work, for work tracked while it waits, and through failures', async () => {
    const bg = createBackground();
    const done: string[] = [];
    const later = (ms: number, name: string, fail = false) =>
      new Promise<void>((resolve, reject) =>
        setTimeout(() => {
          done.push(name);
          if (fail) reject(new Error(name));
          else resolve();
        }, ms),
      );
    bg.track(
      later(20, 'outcome').then(() => {
        // A decision's outcome publishes the Home tab: tracked only once the first work finished.
        bg.track(later(20, 'home tab'));
      }),
    );
    bg.track(later(5, 'failed publish', true));
    bg.track(undefined);
    await bg.drain();
    assert.deepEqual(done, ['failed publish', 'outcome', 'home tab']);
    await bg.drain(); // nothing pending: resolves at once
  });
});
