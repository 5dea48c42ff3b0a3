/**
 * Workflow interceptors for traces, bundled with the workflows (src/temporal/bundle.ts): the
 * SDK's OpenTelemetry interceptors, used only by a case whose start carried a trace context
 * (the `_tracer-data` header the API's client interceptor writes when tracing is on).
 *
 * Why conditional: a case started without tracing runs exactly the code it ran before tracing
 * existed, with no span objects, no header on its activity commands and no extra awaits, so
 * tracing off really is off and the recorded histories of test/replay replay unchanged. The choice
 * reads only the start event's headers, so a replay makes the same one.
 *
 * Why `require` inside the traced branch: every cached case evaluates its own copy of the modules
 * it loads (the SDK's reusable context keeps a module cache per workflow), and the OpenTelemetry
 * SDK is large; loaded lazily, an untraced case never evaluates it (nor its isolate patch of
 * `performance`/`window`). Webpack still bundles it (eager mode), it only runs on first use.
 */
import type {
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type * as OtelWorkflow from '@temporalio/interceptors-opentelemetry';

/** The SDK's `TRACE_HEADER` (instrumentation.ts), spelled out so untraced cases load nothing of it (test/ops/tracing.test.ts checks it). */
export const TRACE_HEADER = '_tracer-data';

function loadOtel(): typeof OtelWorkflow {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
  return require('@temporalio/interceptors-opentelemetry') as typeof OtelWorkflow;
}

export const interceptors = (): WorkflowInterceptors => {
  // Set once, by `execute`; the SDK interceptors (and the isolate's tracer) exist only when traced.
  let otel:
    | {
        inbound: OtelWorkflow.OpenTelemetryInboundInterceptor;
        outbound: OtelWorkflow.OpenTelemetryOutboundInterceptor;
        internals: OtelWorkflow.OpenTelemetryInternalsInterceptor;
      }
    | undefined;

  const inbound: WorkflowInboundCallsInterceptor = {
    execute(input, next) {
      if (!(TRACE_HEADER in input.headers)) return next(input);
      const sdk = loadOtel();
      otel = {
        inbound: new sdk.OpenTelemetryInboundInterceptor(),
        outbound: new sdk.OpenTelemetryOutboundInterceptor(),
        internals: new sdk.OpenTelemetryInternalsInterceptor(),
      };
      return otel.inbound.execute(input, next);
    },
    handleSignal: (input, next) => (otel ? otel.inbound.handleSignal(input, next) : next(input)),
    handleUpdate: (input, next) => (otel ? otel.inbound.handleUpdate(input, next) : next(input)),
    validateUpdate: (input, next) => (otel ? otel.inbound.validateUpdate(input, next) : next(input)),
    handleQuery: (input, next) => (otel ? otel.inbound.handleQuery(input, next) : next(input)),
  };

  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (otel ? otel.outbound.scheduleActivity(input, next) : next(input)),
    scheduleLocalActivity: (input, next) => (otel ? otel.outbound.scheduleLocalActivity(input, next) : next(input)),
    startChildWorkflowExecution: (input, next) => (otel ? otel.outbound.startChildWorkflowExecution(input, next) : next(input)),
    continueAsNew: (input, next) => (otel ? otel.outbound.continueAsNew(input, next) : next(input)),
    signalWorkflow: (input, next) => (otel ? otel.outbound.signalWorkflow(input, next) : next(input)),
    startNexusOperation: (input, next) => (otel ? otel.outbound.startNexusOperation(input, next) : next(input)),
    getLogAttributes: (input, next) => (otel ? otel.outbound.getLogAttributes(input, next) : next(input)),
  };

  const internals: WorkflowInternalsInterceptor = {
    // The SDK's dispose is declared async but does its work (disable the isolate's context manager) synchronously.
    dispose(input, next) {
      if (otel) void otel.internals.dispose(input, next);
      else next(input);
    },
  };

  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
