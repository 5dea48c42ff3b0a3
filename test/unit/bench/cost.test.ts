import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import { costOf } from '../../../bench/lib/cost';

const E = temporal.api.enums.v1.EventType;
type Ev = temporal.api.history.v1.IHistoryEvent;
// Histories carry ids as protobuf Longs; costOf only compares them as strings, so numbers stand in.
const eventId = (n: number) => n as unknown as NonNullable<Ev['eventId']>;

let id = 0;
const ev = (e: Ev): Ev => ({ eventId: eventId(++id), ...e });
const marker = (name: string, wftCompleted: number): Ev =>
  ev({
    eventType: E.EVENT_TYPE_MARKER_RECORDED,
    markerRecordedEventAttributes: { markerName: name, workflowTaskCompletedEventId: eventId(wftCompleted) },
  });

describe('bench cost counting', () => {
  it('counts local activities as activity calls and their markers once per workflow task', () => {
    id = 0;
    const events: Ev[] = [
      ev({ eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED }),
      ev({ eventType: E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED }), // id 2
      marker('core_local_activity', 2),
      marker('core_local_activity', 2),
      marker('core_local_activity', 2),
      ev({ eventType: E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED }),
      ev({ eventType: E.EVENT_TYPE_ACTIVITY_TASK_STARTED, activityTaskStartedEventAttributes: { attempt: 3 } }),
      ev({ eventType: E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED }), // id 8
      marker('core_local_activity', 8),
    ];
    const c = costOf(events);
    assert.equal(c.activitiesScheduled, 1);
    assert.equal(c.localActivities, 4);
    assert.equal(c.activityCalls, 5);
    // Two workflow tasks recorded markers: two actions, as Temporal Cloud bills them.
    assert.equal(c.actions.markers, 2);
    assert.equal(c.actions.activityAttempts, 3);
    assert.equal(c.billableActions, 1 + 3 + 2);
  });

  it('counts a side-effect marker as an action but not as an activity', () => {
    id = 0;
    const c = costOf([
      ev({ eventType: E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED }),
      ev({ eventType: E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED }),
      marker('SideEffect', 2),
    ]);
    assert.equal(c.localActivities, 0);
    assert.equal(c.activityCalls, 0);
    assert.equal(c.actions.markers, 1);
  });
});
