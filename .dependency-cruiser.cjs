/**
 * The layout's rules, checked by `npm run lint:deps` (and `.ci/run`). Data flows one way:
 * plug → transport → protocol → reading → collector → fan-out → sinks; see docs/architecture.md.
 * Lower layers never import higher ones, and nothing imports in a circle.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles hide which module is the lower layer; break them with a contract.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'kasa-is-below-collector-and-sinks',
      severity: 'error',
      comment:
        'kasa/ knows TP-Link devices only: it never imports the collector, sinks or service.',
      from: { path: '^src/kasa/' },
      to: { path: '^src/(collector|sinks|service|cli|demo|energy|storage|sim)/|^src/main\\.ts$' },
    },
    {
      name: 'sinks-never-know-kasa',
      severity: 'error',
      comment: 'Sinks see Readings (src/reading.ts) only, never the plugs behind them.',
      from: { path: '^src/sinks/' },
      to: { path: '^src/(kasa|collector|energy|service|cli|demo|sim)/|^src/main\\.ts$' },
    },
    {
      name: 'collector-talks-to-sinks-through-the-contract',
      severity: 'error',
      comment: 'The collector knows the Sink contract (sinks/sink.ts), not any one sink.',
      from: { path: '^src/collector/' },
      to: { path: '^src/sinks/(?!sink\\.ts$)|^src/(service|cli|demo|sim)/|^src/main\\.ts$' },
    },
    {
      name: 'bottom-layer-stays-bottom',
      severity: 'error',
      comment:
        'reading, errors, clock and log/ are imported by everything and import nothing of ours.',
      from: { path: '^src/((reading|errors|clock)\\.ts$|log/)' },
      to: { path: '^src/(?!((reading|errors|clock)\\.ts$|log/))' },
    },
    {
      name: 'config-storage-energy-are-low',
      severity: 'error',
      comment:
        'Configuration, storage and energy bookkeeping never import the layers that use them.',
      from: { path: '^src/(config|storage|energy)/' },
      to: { path: '^src/(kasa|collector|sinks|service|cli|demo|sim)/|^src/main\\.ts$' },
    },
    {
      name: 'sim-is-a-device-not-a-collector',
      severity: 'error',
      comment: 'Simulated plugs speak the wire protocol; they share only the codec with kasa/.',
      from: { path: '^src/sim/' },
      to: {
        path: '^src/(collector|sinks|service|cli|demo|energy|storage|config)/|^src/main\\.ts$',
      },
    },
    {
      name: 'nothing-imports-the-entry-points',
      severity: 'error',
      comment: 'bin.ts and the CLI are the top; only bin.ts imports the CLI.',
      from: { path: '^src/', pathNot: '^src/bin\\.ts$' },
      to: { path: '^src/bin\\.ts$|^src/cli/cli\\.ts$' },
    },
    {
      name: 'src-never-imports-tests-or-bench',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
