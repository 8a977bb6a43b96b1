import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/drizzle/**", "bench/**", "scripts/**", "**/*.mjs", "**/*.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  // The import rules of SPEC §1 (test/architecture/import-rules.test.ts checks them too, with
  // relative paths and package.json dependencies).
  {
    files: ["apps/*/src/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["@mlq/producer", "@mlq/cli", "@mlq/dashboard", "@mlq/worker-*", "@mlq/serve"], message: "apps import packages, never another app" }] }],
    },
  },
  {
    files: ["packages/*/src/**/*.ts"],
    ignores: ["packages/jobs/**", "packages/tasks/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["@mlq/jobs", "bullmq", "ioredis"], message: "domain packages know nothing of the queue layer" }] }],
    },
  },
  {
    files: ["packages/gates/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@mlq/jobs", "bullmq", "ioredis", "@mlq/db", "better-sqlite3", "drizzle-orm"], message: "the gates are pure functions over a snapshot" }] },
      ],
    },
  },
);
