// The layer order of README "How it works", enforced by `npm run lint` (and so by CI): a module in src/
// imports only from its own folder and from the rows below its own, and nothing imports in a loop.
// Top to bottom; folders on one row do not import each other.
const ROWS = [
  ['cli'],
  ['app'],
  ['ops'],
  ['job'],
  ['report', 'doctor'],
  ['apply', 'setup', 'sync', 'status', 'webhooks'],
  ['pipedrive'],
  ['plan'],
  ['rules'],
  ['config', 'store'],
  ['i18n'],
  ['domain', 'log'],
];
/** `^src/(a|b)/` (cli also owns src/cli.ts). */
const pathOf = (folders) => `^src/(${folders.join('|')})(/|\\.ts$)`;

const layerRules = ROWS.flatMap((row, i) => {
  const above = ROWS.slice(0, i).flat();
  return row.map((folder) => {
    const forbidden = [...above, ...row.filter((f) => f !== folder)];
    return forbidden.length === 0
      ? null
      : {
          name: `layer-${folder}`,
          comment: `src/${folder} imports only from below it (README "How it works"): not from ${forbidden.join(', ')}`,
          severity: 'error',
          from: { path: pathOf([folder]) },
          to: { path: pathOf(forbidden) },
        };
  });
}).filter(Boolean);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import loop: move what both sides need below both',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-from-tests',
      comment: 'src/ never imports test code',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    ...layerRules,
  ],
  options: {
    // Type-only imports count: an upward `import type` is still an upward arrow.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
