import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type * as proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { CASE_TYPES } from '../../src/domain/case';
import { workflowBundle } from '../support/temporal';

const HISTORIES_DIR = path.join(__dirname, 'histories');

/**
 * History JSON (as `temporal workflow show -o json` writes it) to a History message. Same as the
 * SDK's `historyFromJSON`, but with the protobufjs copy that @temporalio/proto's types belong to:
 * in this install @temporalio/common resolves a second copy of protobufjs 8, and its protojson
 * rejects the other copy's types ("type must be a Type").
 */
function loadHistory(file: string): proto.temporal.api.history.v1.IHistory {
  const protoDir = path.dirname(require.resolve('@temporalio/proto/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fromJson } = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as {
    fromJson: (type: unknown, json: unknown, opts: object) => unknown;
  };
  // The package's export is the patched protobufjs root itself (protos/root.js); `import * as`
  // would copy it into a plain object without its prototype.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const root = require('@temporalio/proto') as { lookupType(name: string): unknown };
  const historyType = root.lookupType('temporal.api.history.v1.History');
  return fromJson(historyType, JSON.parse(fs.readFileSync(file, 'utf8')), {
    ignoreUnknownFields: true,
  }) as proto.temporal.api.history.v1.IHistory;
}

describe('replay of recorded case histories', function () {
  this.timeout(120_000);

  it('keeps a recorded history for every case type (`<caseType>.json`, older ones as `<caseType>.<label>.json`)', () => {
    const files = fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
    const missing = CASE_TYPES.filter((c) => !files.includes(`${c}.json`));
    assert.deepEqual(missing, []);
    const strays = files.filter((f) => !CASE_TYPES.some((c) => f.startsWith(`${c}.`)));
    assert.deepEqual(strays, []);
  });

  it('replays every recorded history with the current workflow code without non-determinism', async () => {
    const files = fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: loadHistory(path.join(HISTORIES_DIR, f)) }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), replayName: 'case-replay' }, histories)) {
      replayed += 1;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    }
    assert.equal(replayed, files.length);
    assert.deepEqual(failures, []);
  });
});
