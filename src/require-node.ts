/**
 * Imported first by every entry point (src/main.ts, src/worker.ts, src/api.ts) and by the test
 * run (.mocharc*.json): refuses a Node below the project's floor at start, with a message that
 * says how to get the right one, instead of failing later in a dependency (google-auth-library 11
 * and its gaxios need Node >= 22) or running on a line past its end of life. The floor is the
 * `engines` field of package.json; scripts/with-node.cjs brings that Node for the npm scripts and
 * test/unit/node-floor.test.ts keeps the places that name it in step.
 */
export const NODE_FLOOR_MAJOR = 24;

/** The refusal for a Node `version` (without the leading v), or undefined when it is supported. */
export function unsupportedNodeMessage(version: string, execPath: string): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major >= NODE_FLOOR_MAJOR) return undefined;
  return [
    `This service needs Node.js >= ${NODE_FLOOR_MAJOR} (package.json engines); this is Node ${version} (${execPath}).`,
    `  - \`npm start\`, \`npm test\` and the other npm scripts bring Node ${NODE_FLOOR_MAJOR} into .tools themselves (scripts/with-node.cjs);`,
    '    use them, or run a command by hand through it: `node scripts/with-node.cjs <command>` (e.g. `npm run mocha -- <file>`);',
    `  - or install Node.js ${NODE_FLOOR_MAJOR} LTS (nvm install ${NODE_FLOOR_MAJOR}, fnm, volta, or the node:${NODE_FLOOR_MAJOR} container image) and run it again.`,
  ].join('\n');
}

const refusal = unsupportedNodeMessage(process.versions.node, process.execPath);
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exit(1);
}
