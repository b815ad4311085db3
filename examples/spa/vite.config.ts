import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The client is used from its source in this repository (clients/typescript);
// an app of your own would `npm install @authd/client` instead.
export default defineConfig({
  resolve: {
    alias: {
      "@authd/client": fileURLToPath(new URL("../../clients/typescript/src/authd.ts", import.meta.url)),
    },
    dedupe: ["openapi-fetch"],
  },
  server: { port: 5173, strictPort: true },
  preview: { port: 5173, strictPort: true },
});
