/**
 * The layers of src/, checked by dependency-cruiser in `npm run lint` (issue 23). Imports point one way:
 *
 *   domain < policy < plumbing (connectors, ledger, temporal, config, observability, proofs, devtools,
 *   logger) < activities < workflows < edge (intake, slack, cases, security) < entry points (api.ts,
 *   worker.ts, main.ts)
 *
 * A layer may import its own and any lower layer, never a higher one; the sandbox stands in for other
 * companies' servers and imports no service code; no import cycles anywhere in src/. Type-only imports
 * count (tsPreCompilationDeps): a type that runs back up is still a dependency a maintainer must follow.
 * The eslint fences in eslint.config.mjs stay: they keep workflow code deterministic (no Node
 * built-ins, activities as types only), which is about the workflow sandbox, not layering.
 *
 * There are no exceptions here on purpose: move the code to the layer it belongs to instead.
 */
'use strict';

const DOMAIN = '^src/domain/';
const POLICY = '^src/policy/';
const PLUMBING = '^src/(connectors|ledger|temporal|config|observability|proofs|devtools)/|^src/(logger|dev-secrets|require-node)[.]ts$';
const ACTIVITIES = '^src/activities/';
const WORKFLOWS = '^src/workflows/';
const EDGE = '^src/(intake|slack|cases|security)/';
const ENTRY = '^src/(api|worker|main)[.]ts$';
const SANDBOX = '^src/sandbox/';

/** A rule that forbids `from` to import anything in src/ outside `allowed` (a list of path patterns). */
function layer(name, comment, from, allowed) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: '^src/', pathNot: allowed },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Two modules that import each other cannot be understood, tested or moved one at a time.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    layer('domain-imports-only-domain', 'domain/ is the shared vocabulary: it depends on nothing else in src/.', DOMAIN, [DOMAIN]),
    layer('policy-imports-only-domain', 'policy/ is business rules over the vocabulary: domain/ only.', POLICY, [DOMAIN, POLICY]),
    layer(
      'plumbing-stays-below-activities',
      'Connectors, the ledger, Temporal plumbing, configuration and observability know nothing of activities, workflows or the edge.',
      PLUMBING,
      [DOMAIN, POLICY, PLUMBING],
    ),
    layer('activities-stay-below-workflows', 'Activities are called by workflows; they never import them or the edge.', ACTIVITIES, [
      DOMAIN,
      POLICY,
      PLUMBING,
      ACTIVITIES,
    ]),
    layer(
      'workflows-stay-below-the-edge',
      'Workflows are started and signalled by the edge; they never import it. (Activities as types only: eslint.config.mjs.)',
      WORKFLOWS,
      [DOMAIN, POLICY, '^src/temporal/', ACTIVITIES, WORKFLOWS],
    ),
    layer(
      'edge-stays-below-entry-points',
      'The edge (intake, Slack routes, case API, security) is wired by the entry points, never the reverse.',
      EDGE,
      [DOMAIN, POLICY, PLUMBING, ACTIVITIES, WORKFLOWS, EDGE, SANDBOX],
    ),
    layer(
      'sandbox-imports-no-service-code',
      "The sandbox stands in for other companies' servers: it must not import service code.",
      SANDBOX,
      [SANDBOX],
    ),
    {
      name: 'only-the-edge-knows-the-sandbox',
      comment: 'Service code below the edge must not depend on the stand-in servers (the entry points start them in development).',
      severity: 'error',
      from: { path: '^src/', pathNot: [EDGE, ENTRY, SANDBOX] },
      to: { path: SANDBOX },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/.*[.]d[.]ts$' },
  },
};
