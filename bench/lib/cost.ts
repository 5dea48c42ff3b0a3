/**
 * History events and billable Temporal actions of one workflow execution, counted from its
 * history. "Actions" follow Temporal Cloud's definition as far as history shows them: workflow
 * start, each activity attempt, timer, signal, accepted update, search-attribute or memo upsert,
 * markers (side effects, local activities: all of one workflow task count as one action, as
 * Temporal Cloud counts them), child workflow start, external signal, continue-as-new.
 * Queries, rejected updates and heartbeats leave no history; callers add what they sent.
 */
import { temporal } from '@temporalio/proto';

const E = temporal.api.enums.v1.EventType;

/** Action kinds, counted per execution. */
export interface ActionCounts {
  workflowStart: number;
  activityAttempts: number;
  timers: number;
  signals: number;
  updates: number;
  upserts: number;
  markers: number;
  childStarts: number;
  externalSignals: number;
  continueAsNew: number;
}

export interface ExecutionCost {
  historyEvents: number;
  /** Ordinary activities scheduled. */
  activitiesScheduled: number;
  /** Local activities run (one `core_local_activity` marker each). */
  localActivities: number;
  /** Every activity the case ran, ordinary or local: the count the end-to-end floor mirrors. */
  activityCalls: number;
  workflowTaskFailures: number;
  actions: ActionCounts;
  billableActions: number;
  /** The first workflow task failure message, if any (a broken workflow shows up here). */
  failure?: string;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The marker name the SDK core records for a local activity's result. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export function costOf(events: HistoryEvent[]): ExecutionCost {
  const actions: ActionCounts = {
    workflowStart: 0,
    activityAttempts: 0,
    timers: 0,
    signals: 0,
    updates: 0,
    upserts: 0,
    markers: 0,
    childStarts: 0,
    externalSignals: 0,
    continueAsNew: 0,
  };
  let activitiesScheduled = 0;
  let localActivities = 0;
  const markerTasks = new Set<string>();
  let workflowTaskFailures = 0;
  let failure: string | undefined;
  for (const ev of events) {
    switch (ev.eventType) {
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        actions.workflowStart++;
        break;
      case E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        activitiesScheduled++;
        break;
      case E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        // One Started event per activity, carrying the attempt that finished: earlier attempts were retries.
        actions.activityAttempts += Math.max(1, ev.activityTaskStartedEventAttributes?.attempt ?? 1);
        break;
      case E.EVENT_TYPE_TIMER_STARTED:
        actions.timers++;
        break;
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        actions.signals++;
        break;
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        actions.updates++;
        break;
      case E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      case E.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
        actions.upserts++;
        break;
      case E.EVENT_TYPE_MARKER_RECORDED: {
        const m = ev.markerRecordedEventAttributes;
        if (m?.markerName === LOCAL_ACTIVITY_MARKER) localActivities++;
        markerTasks.add(String(m?.workflowTaskCompletedEventId ?? ev.eventId));
        break;
      }
      case E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        actions.childStarts++;
        break;
      case E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        actions.externalSignals++;
        break;
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        actions.continueAsNew++;
        break;
      case E.EVENT_TYPE_WORKFLOW_TASK_FAILED:
        workflowTaskFailures++;
        failure ??= ev.workflowTaskFailedEventAttributes?.failure?.message ?? 'workflow task failed';
        break;
    }
  }
  actions.markers = markerTasks.size;
  const billableActions = Object.values(actions).reduce((a, b) => a + b, 0);
  return {
    historyEvents: events.length,
    activitiesScheduled,
    localActivities,
    activityCalls: activitiesScheduled + localActivities,
    workflowTaskFailures,
    actions,
    billableActions,
    ...(failure ? { failure } : {}),
  };
}
