/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The built UI is package data of the Python package: `polybox serve` serves it at `/`.
// `npm run dev` proxies the API to a local `polybox serve` (POLYBOX_DEV_BACKEND to change it).
const backend = process.env.POLYBOX_DEV_BACKEND ?? "http://127.0.0.1:8765";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../src/polybox/ui_dist",
    emptyOutDir: true,
    sourcemap: false,
    rollupOptions: {
      output: {
        // Libraries change less often than the app: separate files stay cached across releases.
        manualChunks: (id) => {
          if (!id.includes("node_modules")) return undefined;
          return /prism-react-renderer|[\\/]diff[\\/]/.test(id) ? "code" : "vendor";
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
