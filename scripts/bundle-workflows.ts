/** Build step: bundle the workflow code once, to dist/workflow-bundle.js. */
import fs from 'node:fs';
import path from 'node:path';
import { BUNDLE_PATH, buildWorkflowBundle } from '../src/temporal/bundle';

async function main() {
  const { code } = await buildWorkflowBundle();
  fs.mkdirSync(path.dirname(BUNDLE_PATH), { recursive: true });
  fs.writeFileSync(BUNDLE_PATH, code);
  console.log(`workflow bundle: ${BUNDLE_PATH} (${Math.round(code.length / 1024)} KiB)`);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
