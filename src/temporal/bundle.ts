/**
 * Workflow code is bundled once: at build time for production (`npm run build` writes
 * dist/workflow-bundle.js), once per test run for tests. Never per worker start in production.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { PROJECT_ROOT } from '../devtools/temporal-cli';

export const WORKFLOWS_PATH = require.resolve('../workflows');
/** Workflow interceptor modules: a prebuilt bundle must carry them (a worker ignores `interceptors.workflowModules` then). */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/tracing')];
export const BUNDLE_PATH = path.join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');

export async function buildWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    // Runs in the shared sandbox before the SDK freezes it: sets the stack depth (see that file).
    preloadModules: [require.resolve('../workflows/stack-depth')],
    logger: quietBundlerLogger,
  });
}

/** The prebuilt bundle, or a clear error telling how to build it. */
export function prebuiltBundlePath(): string {
  if (!fs.existsSync(BUNDLE_PATH)) {
    throw new Error(`Workflow bundle not found at ${BUNDLE_PATH}: run \`npm run build\` first.`);
  }
  return BUNDLE_PATH;
}

const noop = () => undefined;
const quietBundlerLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: (msg: string, meta?: unknown) => console.warn(msg, meta ?? ''),
  error: (msg: string, meta?: unknown) => console.error(msg, meta ?? ''),
};
