// ESLint flat config: typescript-eslint's type-aware rules for the Worker,
// the tests and the Node tooling alike. Formatting is Prettier's job.
import js from "@eslint/js";
import json from "@eslint/json";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // public/docs/assets/: the /docs renderer, copied from swagger-ui-dist (scripts/copy-docs-assets.mjs).
  { ignores: ["node_modules/", "**/.wrangler/", "dist/", "public/docs/assets/", "worker-configuration.d.ts"] },
  // JavaScript and TypeScript rules for code only; JSON files get @eslint/json's below.
  { files: ["**/*.{js,mjs,cjs,ts}"], ...js.configs.recommended },
  ...tseslint.configs.recommended.map((config) => ({ files: ["**/*.{js,mjs,cjs,ts}"], ...config })),
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: {
        project: ["./tsconfig.json", "./tsconfig.node.json", "./tsconfig.cli.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    // Plain JavaScript (the CLI, scripts): no type information to lint with.
    files: ["**/*.mjs", "**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        fetch: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        Buffer: "readonly",
        AbortSignal: "readonly",
        AbortController: "readonly",
        URLSearchParams: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        crypto: "readonly",
        Response: "readonly",
        Headers: "readonly",
      },
    },
  },
  {
    // CommonJS scripts: test clients written in the style of the AI/ML API's published Node examples.
    files: ["**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: "commonjs",
      globals: {
        require: "readonly",
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        setTimeout: "readonly",
      },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // JSON: a key written twice (JSON.parse keeps the last one silently) and the like. Config files with comments as JSONC.
    files: ["**/*.json"],
    // Fixtures are copies of others' files, kept as they are (one of them is empty on purpose).
    ignores: ["package-lock.json", "tsconfig*.json", "test/fixtures/**"],
    plugins: { json },
    language: "json/json",
    ...json.configs.recommended,
  },
  {
    files: ["**/*.jsonc", "tsconfig*.json"],
    plugins: { json },
    language: "json/jsonc",
    languageOptions: { allowTrailingCommas: true },
    ...json.configs.recommended,
  },
);
