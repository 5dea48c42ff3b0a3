/**
 * How many frames a stack captured inside the workflow sandbox keeps (V8's default is 10).
 *
 * Why: the SDK's promise hook captures and formats a stack trace for every promise a workflow
 * creates (it serves the stack-trace query), and that cost grows with the depth. It is the largest
 * single cost of replaying a case that fell out of the worker's cache, which is what nearly every
 * decision on a case that waited a while pays first (BENCHMARKS.md, "Stop 28"). Measured on a
 * waiting refund's replay (bench/replay-cost.ts): 19.2 ms at 10 frames, 17.7 at 5, 15.6 at 3 (wall
 * time); interleaved, 27 against 24 ms of CPU at 10 and 3.
 *
 * What it costs: the Web UI's stack trace still names where a case waits (our own frame,
 * e.g. `requestApproval (approval.ts)`), with fewer SDK frames around it; an error thrown in
 * workflow code carries its top three frames. Activity errors are untouched (they are made
 * outside the sandbox). test/workflows/stack-trace.test.ts checks the stack trace a waiting case shows.
 *
 * Loaded through the bundle's `preloadModules` (src/temporal/bundle.ts): the SDK freezes the
 * sandbox's globals after preloading, so this is the one place the limit can be set.
 */
export const WORKFLOW_STACK_FRAMES = 3;
Error.stackTraceLimit = WORKFLOW_STACK_FRAMES;
