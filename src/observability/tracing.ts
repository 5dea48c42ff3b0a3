/**
 * OpenTelemetry traces (docs/production.md, Traces). One trace per webhook delivery: the intake's
 * span, `StartWorkflow` (the Temporal client interceptor, which puts the trace context into the
 * start request's headers), then on the worker `RunWorkflow`, `StartActivity`/`RunActivity` and each
 * connector's HTTP client span (src/connectors/spans.ts), all from `@temporalio/interceptors-opentelemetry`.
 *
 * Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then nothing is registered, the OpenTelemetry API
 * stays on its no-op provider (the connector and intake spans cost a no-op call), no interceptor is
 * added, and the workflow interceptors in the bundle pass straight through (src/workflows/tracing.ts).
 *
 * What leaves the process is cut down to an allowlist (`SAFE_ATTRIBUTES`): span attributes other
 * than ids, types, HTTP method, host, route template and status are dropped, and so are status
 * messages and exception messages/stacks, which can quote a vendor's answer. The exporter sink
 * that carries workflow spans out of the isolate gets only the workflow's ids, type, queue and
 * namespace (the SDK would otherwise copy its whole WorkflowInfo, search attributes and memo
 * included, onto every workflow span).
 */
import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
  type TimedEvent,
} from '@opentelemetry/sdk-trace-base';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { Config } from '../config/types';

/**
 * Span attributes that may leave the process. Everything else is dropped at export, so a new
 * attribute is invisible until it is added here, after checking it can never carry personal data.
 * Temporal's own keys: workflow id (`case-<type>-<call id>`), run id, activity id, update id.
 */
export const SAFE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'temporalWorkflowId',
  'run_id',
  'temporalActivityId',
  'temporalUpdateId',
  // Copied onto workflow spans by the exporter sink (see workflowSpanSink).
  'workflowId',
  'runId',
  'workflowType',
  'taskQueue',
  'namespace',
  // HTTP, OpenTelemetry semantic conventions; routes are templates, never raw paths or queries.
  'http.request.method',
  'http.response.status_code',
  'http.route',
  'url.template',
  'server.address',
  'server.port',
  'error.type',
  // Ours: which external system a client span talks to, how many cases a webhook started.
  'billing.system',
  'billing.case_count',
]);

/** The tracing of one process: interceptors for its Temporal clients and worker, and the sink workflow spans leave by. */
export interface Tracing {
  readonly enabled: boolean;
  /** For every Temporal `Client` whose calls should carry the trace (the API's). */
  readonly clientInterceptors: WorkflowClientInterceptor[];
  /** For the worker: activity spans, joined to the workflow's trace through the activity headers. */
  readonly activityInterceptors: ActivityInterceptorsFactory[];
  /** For the worker (and replayers): always injected, since the bundle always carries the workflow interceptors. */
  readonly workflowSinks: InjectedSinks<OpenTelemetrySinks>;
  /** Flushes and unregisters (tests; process exit). */
  shutdown(): Promise<void>;
}

/** A sink that drops workflow spans: for workers without tracing, in case a traced case lands on one. */
const droppingSinks: InjectedSinks<OpenTelemetrySinks> = { exporter: { export: { fn: () => undefined } } };

/** No tracing: nothing registered, nothing intercepted. */
export const TRACING_OFF: Tracing = {
  enabled: false,
  clientInterceptors: [],
  activityInterceptors: [],
  workflowSinks: droppingSinks,
  shutdown: async () => undefined,
};

export interface TracingOptions {
  /** The process's default `service.name` (OTEL_SERVICE_NAME overrides it). */
  defaultServiceName: string;
  /** Tests: export here (synchronously, unbatched) instead of OTLP; turns tracing on without an endpoint. */
  exporter?: SpanExporter;
}

/**
 * Installs tracing for this process when configured (or when a test passes an exporter): a
 * global tracer provider, the AsyncLocalStorage context manager (so a connector call finds the
 * activity's span) and the W3C trace-context propagator (what the Temporal interceptors write into
 * headers). Call once per process; `shutdown()` undoes it.
 */
export function installTracing(config: Pick<Config, 'tracing'>, opts: TracingOptions): Tracing {
  const endpoint = config.tracing.otlpEndpoint;
  if (!endpoint && !opts.exporter) return TRACING_OFF;
  const resource = new Resource({ 'service.name': config.tracing.serviceName ?? opts.defaultServiceName });
  const exporter = new AllowlistSpanExporter(opts.exporter ?? new OTLPTraceExporter({ url: `${endpoint!.replace(/\/$/, '')}/v1/traces` }));
  const processor: SpanProcessor = opts.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  provider.register({ contextManager, propagator: new W3CTraceContextPropagator() });
  return {
    enabled: true,
    clientInterceptors: [new OpenTelemetryWorkflowClientInterceptor()],
    activityInterceptors: [
      (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) }),
    ],
    workflowSinks: { exporter: workflowSpanSink(processor, resource) },
    async shutdown() {
      await provider.shutdown();
      otel.trace.disable();
      otel.context.disable();
      otel.propagation.disable();
    },
  };
}

/** The SDK's exporter sink, handed only the workflow's ids, type, queue and namespace. */
function workflowSpanSink(processor: SpanProcessor, resource: Resource): InjectedSinks<OpenTelemetrySinks>['exporter'] {
  const sdkSink = makeWorkflowExporter(processor, resource);
  return {
    export: {
      ...sdkSink.export,
      fn: (info: WorkflowInfo, spans) => {
        const { workflowId, runId, workflowType, taskQueue, namespace } = info;
        return sdkSink.export.fn({ workflowId, runId, workflowType, taskQueue, namespace } as WorkflowInfo, spans);
      },
    },
  };
}

/** Keeps `SAFE_ATTRIBUTES` only, drops status and exception messages; then hands the spans on. */
export class AllowlistSpanExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans.map(redactSpan), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function safeAttributes(attributes: otel.Attributes | undefined): otel.Attributes {
  const out: otel.Attributes = {};
  for (const [k, v] of Object.entries(attributes ?? {})) if (SAFE_ATTRIBUTES.has(k) && isPrimitive(v)) out[k] = v;
  return out;
}

const isPrimitive = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** An exception event keeps its type (the error class); its message and stack can quote a vendor's answer. */
function safeEvent(e: TimedEvent): TimedEvent {
  const type = e.attributes?.['exception.type'];
  return { name: e.name, time: e.time, attributes: e.name === 'exception' && type !== undefined ? { 'exception.type': type } : {} };
}

export function redactSpan(span: ReadableSpan): ReadableSpan {
  const spanContext = span.spanContext();
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => spanContext,
    parentSpanId: span.parentSpanId,
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code },
    attributes: safeAttributes(span.attributes),
    links: span.links.map((l) => ({ context: l.context, attributes: safeAttributes(l.attributes) })),
    events: span.events.map(safeEvent),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationLibrary: span.instrumentationLibrary,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}
