/**
 * The Home tab service: gathers the cases waiting on a person and publishes their "Waiting on
 * you" view (views.publish). Used by the Events route (a person opened the tab) and the
 * interactions route (a decision landed: the decider's tab and the tabs of whom the case now waits
 * on are published again).
 *
 * Visibility lags behind the cases: the list comes from BillingWaitingOn, then every listed case is
 * confirmed by its statusQuery and kept only if its open request still waits on the person
 * (home.ts filters with `waitingOn`). A case that has just started waiting on someone (a hand-off)
 * may not be listed yet, so after a decision the decided case is read directly (`alsoCheck`).
 *
 * Publishing is serialized per person: two publishes racing could land in the wrong order and
 * leave the older list on screen. Requests that arrive while one waits to run are merged into it,
 * and one person's tab is published at most once per `minIntervalMs`.
 * Nothing here throws to its callers: the tab is a convenience, failures are logged with ids only.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger';
import type { SlackApi } from '../connectors/slack';
import { waitingOn } from '../domain/decision';
import { listWaitingCases, readWaitingCase, type WaitingCase } from '../cases/waiting';
import { temporalUiUrl } from '../temporal/workflow-ids';
import { statusQuery } from '../workflows/messages';
import { homeView, type HomeCase } from './home';

export interface HomeTabDeps {
  client: Client;
  /** views.publish (a client with an ordinary timeout: this runs after Slack has been answered). */
  slack: Pick<SlackApi, 'publishView'>;
  logger: Logger;
  /** Where the case links point: the Temporal Web UI and namespace. */
  temporalUi: { url: string; namespace: string };
  /** Only cases on this task queue (the service's); unset: every queue. */
  taskQueue?: string;
  /** How long each case's statusQuery may take. */
  queryTimeoutMs?: number;
  /**
   * Least time between two publishes for one person (default 1 s). A burst of decisions (someone
   * clicking through a dozen requests) then costs one listing and one round of queries a second,
   * not one per click: requests that arrive meanwhile are merged into the next publish.
   */
  minIntervalMs?: number;
  now?: () => Date;
}

export interface PublishOptions {
  /** Shown on top of the tab (what became of a decision taken from it). */
  notice?: string;
  /** Workflow ids to read directly besides what visibility lists (a case decided a moment ago). */
  alsoCheck?: string[];
}

export interface HomeTab {
  /** Builds and publishes `userId`'s Home tab. Resolves when published (or failed, logged). */
  publish(userId: string, opts?: PublishOptions): Promise<void>;
  /**
   * After a decision on `workflowId` by `deciderId`: publishes the decider's tab (with `notice`)
   * and the tabs of everyone the case's open request now waits on (for a hand-off, the new person).
   */
  afterDecision(workflowId: string, deciderId: string, opts?: { notice?: string }): Promise<void>;
}

/** Ids go into a visibility query (listWaitingCases checks them again); Slack user ids look like this. */
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,31}$/;

export function createHomeTab(deps: HomeTabDeps): HomeTab {
  const { client, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const queryTimeoutMs = deps.queryTimeoutMs ?? 2000;
  const minIntervalMs = deps.minIntervalMs ?? 1000;
  // When each person's last publish finished (pruned: only the last minIntervalMs matter).
  const lastPublished = new Map<string, number>();
  const pause = (userId: string): Promise<void> => {
    const wait = (lastPublished.get(userId) ?? 0) + minIntervalMs - Date.now();
    return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
  };

  const toHomeCase = (c: WaitingCase): HomeCase | undefined =>
    c.pendingApproval
      ? {
          workflowId: c.workflowId,
          ...(c.caseType ? { caseType: c.caseType } : {}),
          ...(c.accountId ? { accountId: c.accountId } : {}),
          ...(c.amountMinor !== undefined && c.currency ? { amount: { amountMinor: c.amountMinor, currency: c.currency } } : {}),
          ...(c.request ? { request: c.request } : {}),
          pending: c.pendingApproval,
          caseUrl: temporalUiUrl(deps.temporalUi.url, deps.temporalUi.namespace, c.workflowId),
        }
      : undefined;

  /** A case read directly (describe + statusQuery): no visibility lag. Undefined when it is not running. */
  async function readDirectly(workflowId: string): Promise<WaitingCase | undefined> {
    try {
      const info = await client.withDeadline(Date.now() + queryTimeoutMs, () => client.workflow.getHandle(workflowId).describe());
      if (info.status.name !== 'RUNNING') return undefined;
      return await readWaitingCase(client, info, { queryTimeoutMs, now: now() });
    } catch (err) {
      logger.warn({ workflowId, err: (err as Error).message }, 'home tab: could not read the case');
      return undefined;
    }
  }

  async function build(userId: string, opts: PublishOptions): Promise<Record<string, unknown>> {
    const at = now();
    const listed = await listWaitingCases(client, {
      approver: userId,
      ...(deps.taskQueue ? { taskQueue: deps.taskQueue } : {}),
      queryTimeoutMs,
      now: at,
    });
    const byId = new Map(listed.map((c) => [c.workflowId, c]));
    for (const id of new Set(opts.alsoCheck ?? [])) {
      // Read again even when listed: the listing may have answered before the decision landed.
      const fresh = await readDirectly(id);
      if (fresh) byId.set(id, fresh);
      else byId.delete(id);
    }
    const all = [...byId.values()];
    const cases = all.map(toHomeCase).filter((c): c is HomeCase => c !== undefined);
    // Listed for the user but silent: counted, so the tab does not pretend they are not there.
    const unreadable = all.filter((c) => !c.answered).length;
    return { ...homeView({ userId, cases, now: at, ...(opts.notice ? { notice: opts.notice } : {}), unreadable }) };
  }

  async function run(userId: string, opts: PublishOptions): Promise<void> {
    const started = Date.now();
    try {
      const view = await build(userId, opts);
      const { viewId } = await deps.slack.publishView(userId, view);
      logger.debug({ userId, viewId, ms: Date.now() - started }, 'home tab published');
    } catch (err) {
      logger.warn({ userId, err: (err as Error).message }, 'could not publish the home tab');
    }
    lastPublished.set(userId, Date.now());
    if (lastPublished.size > 1000) {
      for (const [id, at] of lastPublished) if (Date.now() - at > minIntervalMs) lastPublished.delete(id);
    }
  }

  // Per person: the publish running now (tail) and the one waiting to run after it (queued).
  const slots = new Map<string, { tail: Promise<void>; queued?: PublishOptions }>();

  function publish(userId: string, opts: PublishOptions = {}): Promise<void> {
    if (!SLACK_USER_ID.test(userId)) {
      logger.warn({ userId: userId.slice(0, 40) }, 'home tab: not a Slack user id');
      return Promise.resolve();
    }
    const slot = slots.get(userId);
    if (slot?.queued) {
      // Not started yet: it will read the cases after this request anyway; add what this one asks.
      slot.queued.alsoCheck = [...new Set([...(slot.queued.alsoCheck ?? []), ...(opts.alsoCheck ?? [])])];
      if (opts.notice) slot.queued.notice = opts.notice;
      return slot.tail;
    }
    const queued: PublishOptions = { ...opts, alsoCheck: [...(opts.alsoCheck ?? [])] };
    const next = { tail: Promise.resolve(), queued } as { tail: Promise<void>; queued?: PublishOptions };
    next.tail = (slot?.tail ?? Promise.resolve())
      .then(() => pause(userId))
      .then(() => {
        // From here on it reads the cases: later requests need a publish of their own.
        next.queued = undefined;
        return run(userId, queued);
      });
    slots.set(userId, next);
    void next.tail.then(() => {
      if (slots.get(userId) === next) slots.delete(userId);
    });
    return next.tail;
  }

  async function afterDecision(workflowId: string, deciderId: string, opts: { notice?: string } = {}): Promise<void> {
    let others: string[] = [];
    try {
      const state = await client.withDeadline(Date.now() + queryTimeoutMs, () => client.workflow.getHandle(workflowId).query(statusQuery));
      others = state.pendingApproval ? waitingOn(state.pendingApproval) : [];
    } catch (err) {
      // The decider's tab is still worth publishing; the others see the change when they open theirs.
      logger.warn({ workflowId, err: (err as Error).message }, 'home tab: could not read the case after a decision');
    }
    await Promise.all(
      [...new Set([deciderId, ...others])].map((userId) =>
        publish(userId, { alsoCheck: [workflowId], ...(userId === deciderId && opts.notice ? { notice: opts.notice } : {}) }),
      ),
    );
  }

  return { publish, afterDecision };
}
