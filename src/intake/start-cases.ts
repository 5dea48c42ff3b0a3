/**
 * Idempotent case starts (docs/product.md §7). One workflow per (call id, case type): the workflow id is
 * derived from both, `USE_EXISTING` makes a repeated delivery of a running case find it, and
 * `REJECT_DUPLICATE` keeps a finished case from running twice. Search attributes and the static
 * summary carry ids, types and amounts only, never names, emails or phone numbers.
 */
import {
  Client,
  WorkflowClient,
  compileWorkflowOptions,
  isGrpcServiceError,
  type WorkflowOptions,
  type WorkflowStartInput,
  type WorkflowStartOutput,
} from '@temporalio/client';
import { composeInterceptors } from '../temporal/sdk-helpers';
import type { DataConverter, SearchAttributePair } from '@temporalio/common';
import type { CaseTimings } from '../domain/policy';
import {
  CASE_CODE_RELEASE,
  Urgency,
  WORKFLOW_TYPE,
  type BillingFields,
  type CaseInput,
  type CaseStatus,
  type CaseType,
  type IntakeNotes,
} from '../domain/case';
import { formatMoney } from '../domain/money';
import { CASE_ID_REUSE_POLICY, caseWorkflowId, temporalUiUrl } from '../temporal/workflow-ids';
import {
  AccountIdKey,
  AmountMinorKey,
  CallIdKey,
  CaseStatusKey,
  CaseTypeKey,
  CurrencyKey,
  OwnerKey,
  UrgencyKey,
} from '../temporal/search-attributes';
import type { SuppressedCall } from './suppression';
import { attestCaseFacts } from '../proofs/case-facts';

/** One case in the webhook's answer. */
export interface CaseStartResult {
  caseType: CaseType;
  workflowId: string;
  /** `started`: this delivery created the workflow; `existing`: an earlier delivery did. */
  status: 'started' | 'existing';
  temporalUiUrl: string;
}

/** The case inputs for one call: one per case type, all sharing the suppressed call. */
export function buildCaseInputs(args: {
  call: SuppressedCall;
  caseTypes: CaseType[];
  candidateCaseTypes?: CaseType[];
  intentConfidence?: number;
  receivedAt: string;
  /** Durations the case runs with (approvers and limits are the worker's, never input). */
  policy: CaseTimings;
  /** What the intake could not read or tell apart (every case of the call shows it to a person). */
  intake?: IntakeNotes;
}): CaseInput[] {
  return args.caseTypes.map((caseType) => ({
    caseType,
    call: args.call.call,
    fields: args.call.fields,
    ...(args.intentConfidence !== undefined ? { intentConfidence: args.intentConfidence } : {}),
    suppressed: args.call.suppressed,
    ...(caseType === 'triage' ? { candidateCaseTypes: args.candidateCaseTypes ?? [] } : {}),
    receivedAt: args.receivedAt,
    policy: args.policy,
    ...(args.intake ? { intake: args.intake } : {}),
    // The workers run this release (deployed before the intake): the case takes its patches without markers.
    release: CASE_CODE_RELEASE,
  }));
}

/** How soon a person should look: blockers now, disputes and VIPs soon, the rest in the day. */
export function urgencyOf(caseType: CaseType, fields: BillingFields): Urgency {
  if (caseType === 'payment_blocker') return Urgency.Urgent;
  if (caseType === 'charge_dispute' || fields.customerTier === 'vip') return Urgency.High;
  return Urgency.Normal;
}

/** An owner id we may index: a Slack user id or a HubSpot owner id. Names and emails are not. */
const OPAQUE_OWNER = /^(?:[UW][A-Z0-9]{6,20}|\d{1,12})$/;

/** Audit search attributes for a case at intake. No PII: see search-attributes.ts. */
export function searchAttributesFor(input: CaseInput): SearchAttributePair[] {
  const status: CaseStatus = 'received';
  const pairs: SearchAttributePair[] = [
    { key: CaseTypeKey, value: input.caseType },
    { key: CaseStatusKey, value: status },
    { key: CallIdKey, value: input.call.callId },
    { key: UrgencyKey, value: urgencyOf(input.caseType, input.fields) },
  ];
  if (input.fields.accountId) pairs.push({ key: AccountIdKey, value: input.fields.accountId });
  if (input.fields.amount) {
    pairs.push({ key: AmountMinorKey, value: input.fields.amount.amountMinor });
    pairs.push({ key: CurrencyKey, value: input.fields.amount.currency });
  }
  if (input.fields.financeOwner && OPAQUE_OWNER.test(input.fields.financeOwner))
    pairs.push({ key: OwnerKey, value: input.fields.financeOwner });
  return pairs;
}

/** Minor units for people, the one way the service writes money: 12050 USD → "USD 120.50". */

/** The one line the Temporal Web UI shows for the case. Ids, amounts and flags; no PII. */
export function staticSummaryFor(input: CaseInput): string {
  const parts: string[] = [input.caseType.replace(/_/g, ' '), `call ${input.call.callId}`];
  if (input.fields.accountId) parts.push(`account ${input.fields.accountId}`);
  if (input.fields.invoiceNumber) parts.push(`invoice ${input.fields.invoiceNumber}`);
  if (input.fields.amount) parts.push(formatMoney(input.fields.amount.amountMinor, input.fields.amount.currency));
  parts.push(`urgency ${urgencyOf(input.caseType, input.fields)}`);
  if (input.candidateCaseTypes?.length) parts.push(`candidates ${input.candidateCaseTypes.join(', ')}`);
  if (input.suppressed.length) parts.push(`sensitive: ${input.suppressed.join(', ')} removed`);
  return parts.join(' · ');
}

/** Links a workflow in the Temporal Web UI (defined next to the workflow ids; the Home tab links cases the same way). */

/** gRPC ALREADY_EXISTS: with REJECT_DUPLICATE, the case already ran to completion. */
const GRPC_ALREADY_EXISTS = 6;

/**
 * `WorkflowClient.start` returns a handle but drops the server's `started` flag, which is the only
 * reliable way to tell "this request created the workflow" from "USE_EXISTING found one" when
 * deliveries race. This client builds the request with the SDK's own serializer (data converter,
 * search attributes, user metadata) and keeps the flag.
 */
class StartReportingWorkflowClient extends WorkflowClient {
  async startReporting(workflowType: string, options: WorkflowOptions & { args: unknown[] }): Promise<{ started: boolean }> {
    let started = false;
    // Through the client's interceptors, as WorkflowClient.start goes: the tracing interceptor
    // wraps the start in its span and writes the trace context into `headers` (observability/tracing.ts).
    const start = composeInterceptors(
      this.getOrMakeInterceptors(options.workflowId),
      'startWithDetails',
      async (input: WorkflowStartInput): Promise<WorkflowStartOutput> => {
        const request = await this.createStartWorkflowRequest(input);
        try {
          const response = await this.workflowService.startWorkflowExecution(request);
          started = response.started === true;
          return { runId: response.runId, eagerlyStarted: false };
        } catch (err) {
          if (isGrpcServiceError(err) && err.code === GRPC_ALREADY_EXISTS) return { runId: '', eagerlyStarted: false };
          throw err;
        }
      },
    );
    await start({ workflowType, headers: {}, options: { ...compileWorkflowOptions(options), args: options.args } });
    return { started };
  }
}

/** Temporal did not answer in time; DialNexa should retry (the starts are idempotent). */
export class CaseStartTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaseStartTimeoutError';
  }
}

export interface CaseStarterOptions {
  taskQueue: string;
  namespace: string;
  uiUrl: string;
  /** DialNexa wants an answer within 5 s; the starts must finish well inside that (default 3.5 s). */
  startDeadlineMs?: number;
  /**
   * The key the facts of every case are attested with (the decision signing key: the worker holds
   * the same, docs/security.md). Without it the cases start unsigned: never automated, flagged.
   */
  factsKey?: string;
}

/**
 * The case input as it is started: with the intake's attestation of its facts, bound to the
 * workflow id it runs under (src/proofs/case-facts.ts). The MAC goes into history; the key does not.
 */
export function attestCaseInput(key: string, input: CaseInput, now: Date = new Date()): CaseInput {
  const workflowId = caseWorkflowId(input.call.callId, input.caseType);
  return { ...input, attestation: attestCaseFacts(key, workflowId, input, { by: 'api', now }) };
}

/** Starts case workflows idempotently and reports, per case, whether this delivery created it. */
export class CaseStarter {
  private readonly workflows: StartReportingWorkflowClient;

  constructor(
    client: Client,
    private readonly options: CaseStarterOptions,
  ) {
    this.workflows = new StartReportingWorkflowClient({
      connection: client.connection,
      namespace: options.namespace,
      identity: client.options.identity,
      // The client's workflow interceptors (tracing, when on) apply to case starts too.
      interceptors: client.options.interceptors.workflow,
      // The client's loaded converter (payload codec included), as Client itself hands it on.
      dataConverter: client.options.loadedDataConverter as unknown as DataConverter,
    });
  }

  async start(inputs: CaseInput[]): Promise<CaseStartResult[]> {
    const budgetMs = this.options.startDeadlineMs ?? 3500;
    // The gRPC deadline bounds each call; the timer also bounds connecting and retries, which the
    // deadline does not always cover. A start that completes after we gave up is harmless: the
    // redelivery DialNexa sends after our 503 finds it as `existing`.
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new CaseStartTimeoutError(`Temporal did not accept the case starts within ${budgetMs} ms`)),
        budgetMs,
      );
    });
    try {
      return await Promise.race([
        this.workflows.withDeadline(Date.now() + budgetMs, () => Promise.all(inputs.map((input) => this.startOne(input)))),
        giveUp,
      ]);
    } catch (err) {
      if (isGrpcServiceError(err) && err.code === 4 /* DEADLINE_EXCEEDED */)
        throw new CaseStartTimeoutError('Temporal did not accept the case starts in time');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async startOne(unsigned: CaseInput): Promise<CaseStartResult> {
    const input = this.options.factsKey ? attestCaseInput(this.options.factsKey, unsigned) : unsigned;
    const workflowId = caseWorkflowId(input.call.callId, input.caseType);
    const { started } = await this.workflows.startReporting(WORKFLOW_TYPE[input.caseType], {
      taskQueue: this.options.taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: CASE_ID_REUSE_POLICY,
      typedSearchAttributes: searchAttributesFor(input),
      staticSummary: staticSummaryFor(input),
    });
    return {
      caseType: input.caseType,
      workflowId,
      status: started ? 'started' : 'existing',
      temporalUiUrl: temporalUiUrl(this.options.uiUrl, this.options.namespace, workflowId),
    };
  }
}
