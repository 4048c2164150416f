// ESLint flat config: typescript-eslint recommended rules, zero warnings in CI,
// and the house rule that src/shared stays pure (no DOM, WebGPU or node: imports).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const telemetrySdks = ["pino", "pino-pretty", "prom-client", "@opentelemetry/*", "@sentry/*"];

export default tseslint.config(
  { ignores: ["dist/**", "dist-server/**", "node_modules/**", "test-output/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    files: ["src/shared/**/*.ts"],
    languageOptions: { globals: { ...globals["shared-node-browser"] } },
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["node:*", "fs", "path", "os", "worker_threads", "http", "net", "ws"], message: "src/shared is pure: no Node imports." },
          { group: ["**/client/**", "**/server/**"], message: "src/shared must not depend on client or server code." },
          { group: telemetrySdks, message: "Telemetry SDKs live under */telemetry/ only." },
        ],
      }],
      "no-restricted-globals": ["error", "document", "window", "navigator", "GPUDevice", "process"],
    },
  },
  {
    // Only the telemetry folders may import the telemetry SDKs (the facade rule).
    files: ["src/**/*.ts"],
    ignores: ["src/**/telemetry/**", "src/shared/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: telemetrySdks, message: "Use the project's telemetry facade; SDKs live under */telemetry/." }] }],
    },
  },
  {
    files: ["bench/**/*.ts", "scripts/**/*.{ts,mjs,js}", "test/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
