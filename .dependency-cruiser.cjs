/**
 * The import rules of src/ (npm run lint runs them): words flow down. Each
 * folder of src/ is a layer; a module may import its own layer and the layers
 * below it, never one above, and no import runs in a circle. The typed client
 * (src/client/) and the CLI (src/cli/) import nothing of the Worker.
 *
 * `npx depcruise src --output-type err-long` lists every violation.
 */
// Lowest first. A layer is a folder of src/ or a file at its top.
const LAYERS = [
  "vocabulary.ts",
  "config.ts",
  "lib",
  "models",
  "upstream",
  "storage",
  "webhook",
  "api",
  "keyring",
  "generation",
  "client-index",
  "pages",
  "routes",
  "app.ts",
  "index.ts",
];

const path = (layer) => (layer.endsWith(".ts") ? `^src/${layer.replace(".", "\\.")}$` : `^src/${layer}/`);

const upward = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `no-upward-from-${layer.replace(".ts", "")}`,
  comment: `${layer} may import only itself and the layers below it`,
  severity: "error",
  from: { path: path(layer) },
  to: { path: LAYERS.slice(index + 1).map(path) },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: "no-circular",
      comment: "no import runs in a circle",
      severity: "error",
      // That module imports its own namespace to export it as `z`, as zod's own index does.
      from: { path: "^src/", pathNot: "^src/lib/zod-without-locales\\.ts$" },
      to: { circular: true },
    },
    {
      name: "client-is-standalone",
      comment: "the installable client and CLI import nothing of the Worker",
      severity: "error",
      from: { path: "^src/(client|cli)/" },
      to: { path: "^src/", pathNot: "^src/(client|cli)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "\\.html$" },
  },
};
