import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The client is used from its source in this repository (clients/typescript).
// `@authd/client` is not published on npm: an app of your own installs it
// from a tarball of this repository's client:
//   cd clients/typescript && npm pack        # writes authd-client-<version>.tgz
//   cd your-app && npm install /path/to/authd-client-<version>.tgz
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
