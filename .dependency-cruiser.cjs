/**
 * The layers of mqtt-herd, bottom first. A file may import from its own layer and the ones
 * below it, never from one above, and no import cycle is allowed anywhere. `npm run lint`
 * checks it (ARCHITECTURE.md explains each layer).
 */
const LAYERS = [
  ['base', '^src/(errors\\.ts|util/)'],
  ['model', '^src/model/'],
  ['pki', '^src/pki/'],
  ['mqtt', '^src/mqtt/'],
  ['broker', '^src/broker/'],
  ['metrics', '^src/metrics/'],
  ['judge', '^src/judge/'],
  ['load', '^src/load/'],
  ['traffic', '^src/traffic/'],
  ['scenario', '^src/scenario/'],
  ['engine', '^src/engine/'],
  ['report', '^src/report/'],
  ['run', '^src/run/'],
  ['capacity', '^src/capacity/'],
  ['compare', '^src/compare/'],
  ['cli', '^src/cli/'],
  ['workers', '^workers/'],
  ['api', '^src/index\\.ts$'],
];

const upward = LAYERS.slice(0, -1).map(([name, path], i) => ({
  name: `layer-${name}`,
  comment: `${name} may import only from its own layer and below (${LAYERS.slice(0, i + 1)
    .map(([n]) => n)
    .join(', ')})`,
  severity: 'error',
  from: { path },
  to: { path: LAYERS.slice(i + 1).map(([, p]) => p) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle hides which module is the lower one',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'model-imports-only-errors',
      comment: 'src/model is the shared vocabulary: it imports nothing of ours but src/errors.ts',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { path: '^(src|workers)/', pathNot: ['^src/model/', '^src/errors\\.ts$'] },
    },
    {
      name: 'src-not-from-tests',
      comment: 'shipped code never imports tests or benchmarks',
      severity: 'error',
      from: { path: '^(src|workers)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
