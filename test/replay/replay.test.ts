import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type * as proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { CASE_CODE_RELEASE, CASE_TYPES } from '../../src/domain/case';
import { workflowBundle } from '../support/temporal';

const HISTORIES_DIR = path.join(__dirname, 'histories');

/**
 * History JSON (as `temporal workflow show -o json` writes it) to a History message. Same as the
 * SDK's `historyFromJSON`, but with the protobufjs copy that @temporalio/proto's types belong to:
 * in this install @temporalio/common resolves a second copy of protobufjs 8, and its protojson
 * rejects the other copy's types ("type must be a Type").
 */
function loadHistory(file: string, edit?: (json: HistoryJson) => void): proto.temporal.api.history.v1.IHistory {
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
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as HistoryJson;
  edit?.(json);
  return fromJson(historyType, json, {
    ignoreUnknownFields: true,
  }) as proto.temporal.api.history.v1.IHistory;
}

/** The parts of a history's proto-JSON the tests below read or edit. */
interface HistoryJson {
  events: {
    eventType: string;
    workflowExecutionStartedEventAttributes?: { input?: { payloads: { data: string }[] } };
    markerRecordedEventAttributes?: { markerName: string };
    upsertWorkflowSearchAttributesEventAttributes?: { searchAttributes?: { indexedFields?: Record<string, unknown> } };
  }[];
}

/** Rewrites the case input in the history's start event (plain JSON payloads: the recorder uses the default converter). */
function editInput(json: HistoryJson, edit: (input: Record<string, unknown>) => void): void {
  const payload = json.events[0].workflowExecutionStartedEventAttributes?.input?.payloads[0];
  if (!payload) throw new Error('history has no start input');
  const input = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as Record<string, unknown>;
  edit(input);
  payload.data = Buffer.from(JSON.stringify(input), 'utf8').toString('base64');
}

const isType = (e: HistoryJson['events'][number], t: string) => e.eventType === t || e.eventType === `EVENT_TYPE_${t}`;

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

  it('a case stamped with the code release records no patch marker and no TemporalChangeVersion upsert; one without the stamp records them', () => {
    for (const caseType of CASE_TYPES) {
      const count = (file: string) => {
        const { events } = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as HistoryJson;
        const started = events[0].workflowExecutionStartedEventAttributes?.input?.payloads[0].data ?? '';
        return {
          release: (JSON.parse(Buffer.from(started, 'base64').toString('utf8')) as { release?: number }).release,
          markers: events.filter((e) => isType(e, 'MARKER_RECORDED') && e.markerRecordedEventAttributes?.markerName === 'core_patch')
            .length,
          versionUpserts: events.filter(
            (e) =>
              isType(e, 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES') &&
              'TemporalChangeVersion' in (e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
          ).length,
        };
      };
      // Recorded stamped with the release of its day (release 1 or later, up to today's): no marker, no upsert.
      const stamped = count(`${caseType}.json`);
      assert.ok(typeof stamped.release === 'number' && stamped.release >= 1 && stamped.release <= CASE_CODE_RELEASE, caseType);
      assert.deepEqual({ markers: stamped.markers, versionUpserts: stamped.versionUpserts }, { markers: 0, versionUpserts: 0 }, caseType);
      const unstamped = count(`${caseType}.patch-markers.json`);
      assert.equal(unstamped.release, undefined, caseType);
      assert.ok(unstamped.markers > 0 && unstamped.versionUpserts === unstamped.markers, `${caseType}: ${JSON.stringify(unstamped)}`);
    }
  });

  it('the stamp is what the replay follows: a history with markers replayed as if stamped, or a stamped one without its stamp, is non-deterministic', async () => {
    // Why a stamped case must only ever run on workers that know its release (src/workflows/patches.ts):
    // an older worker ignores the stamp and records markers the newer code does not ask for.
    const histories = [
      {
        workflowId: 'refund_request.patch-markers+stamp',
        history: loadHistory(path.join(HISTORIES_DIR, 'refund_request.patch-markers.json'), (j) =>
          editInput(j, (input) => (input.release = CASE_CODE_RELEASE)),
        ),
      },
      {
        workflowId: 'refund_request-stamp',
        history: loadHistory(path.join(HISTORIES_DIR, 'refund_request.json'), (j) => editInput(j, (input) => delete input.release)),
      },
      // The card refund recorded by release 2 (`refundCharge`, then `recordMoney`) replayed as if its
      // case knew release 3 (`card-refund-in-record`: the card refund inside `recordMoney`): the
      // patch is what keeps it replaying.
      {
        workflowId: 'refund_request.card-refund-activity+release3',
        history: loadHistory(path.join(HISTORIES_DIR, 'refund_request.card-refund-activity.json'), (j) =>
          editInput(j, (input) => {
            assert.equal(input.release, 2, 'recorded by release 2');
            input.release = 3;
          }),
        ),
      },
      // Control: the same edit that changes nothing replays (the editing itself breaks nothing).
      {
        workflowId: 'refund_request.control',
        history: loadHistory(path.join(HISTORIES_DIR, 'refund_request.json'), (j) => editInput(j, () => undefined)),
      },
    ];
    const outcome: Record<string, string> = {};
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), replayName: 'case-replay-stamp' }, histories))
      outcome[r.workflowId] = r.error ? `${r.error.name}: ${r.error.message}` : 'ok';
    assert.match(outcome['refund_request.patch-markers+stamp'], /^DeterminismViolationError:.*patch marker/s);
    // Without its stamp the code asks patched(), finds no marker, takes the old path and meets results it did not ask for.
    assert.match(outcome['refund_request-stamp'], /^(DeterminismViolationError|ReplayError):/);
    assert.match(outcome['refund_request.card-refund-activity+release3'], /^(DeterminismViolationError|ReplayError):/);
    assert.equal(outcome['refund_request.control'], 'ok');
  });
});
