/// <reference types="vitest/config" />
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

// The built UI is package data of the Python package: `polybox serve` serves it at `/`.
// `npm run dev` proxies the API to a local `polybox serve` (POLYBOX_DEV_BACKEND to change it).
const backend = process.env.POLYBOX_DEV_BACKEND ?? "http://127.0.0.1:8765";

// Swagger UI for /api/docs, from the npm package into the build (api-docs/, next to the init
// script in public/api-docs/): the API docs work offline, with no CDN.
const SWAGGER_UI = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"];

function swaggerUi(): Plugin {
  return {
    name: "polybox-swagger-ui",
    apply: "build",
    generateBundle() {
      for (const file of SWAGGER_FILES) {
        const source = readFileSync(join(SWAGGER_UI, file));
        this.emitFile({ type: "asset", fileName: `api-docs/${file}`, source });
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), swaggerUi()],
  build: {
    outDir: "../src/polybox/ui_dist",
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      output: {
        // Libraries change less often than the app: separate files stay cached across releases.
        // Prism, its extra languages and the module that hands them Prism (src/components/prism*)
        // share a chunk, so they run in import order: Prism, the global, then the languages.
        manualChunks: (id) => {
          if (/[\\/]components[\\/]prism/.test(id)) return "code";
          if (!id.includes("node_modules")) return undefined;
          return /prism|[\\/]diff[\\/]/.test(id) ? "code" : "vendor";
        },
      },
    },
  },
  server: {
    proxy: {
      "/api": { target: backend, changeOrigin: false },
      "/mcp": { target: backend, changeOrigin: false },
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    css: false,
  },
});
