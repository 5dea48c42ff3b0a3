import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { withCallId, type CallFixture } from '../../../scripts/call-fixture';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'calls');
const names = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

describe('npm run call: a fixture under a fresh call id', () => {
  it('has fixtures to check', () => assert.ok(names.length >= 5, names.join(',')));
  for (const name of names) {
    it(`${name}: the recording URL (and every other mention) follows the new call id`, () => {
      const raw = fs.readFileSync(path.join(FIXTURES, name), 'utf8');
      const fixture = JSON.parse(raw) as CallFixture;
      const own = fixture.payload.call.id;
      const moved = withCallId(fixture, 'call_fresh0123456');
      const text = JSON.stringify(moved);
      assert.equal(moved.payload.call.id, 'call_fresh0123456');
      assert.ok(!text.includes(own), `${own} still appears in ${text.slice(0, 200)}`);
      const recording = moved.payload.call.recording_url as string | undefined;
      if (raw.includes('recording_url')) assert.match(String(recording), /call_fresh0123456/);
      // Nothing else changed: putting the old id back gives the fixture as it was.
      assert.deepEqual(JSON.parse(text.split('call_fresh0123456').join(own)), fixture);
      assert.equal(JSON.parse(raw).payload.call.id, own, 'the fixture file itself is untouched');
    });
  }
  it('refuses a body without a call id', () => {
    assert.throws(() => withCallId({ payload: {} } as unknown as CallFixture, 'call_x'), /no payload\.call\.id/);
  });
});
