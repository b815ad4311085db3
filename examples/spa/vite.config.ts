import { fileURLToPath } from "node:url";
import { defineConfig, loadEnv } from "vite";

// The client is used from its source in this repository (clients/typescript).
// `@authd/client` is not published on npm: an app of your own installs it
// from a tarball of this repository's client:
//   cd clients/typescript && npm pack        # writes authd-client-<version>.tgz
//   cd your-app && npm install /path/to/authd-client-<version>.tgz
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, process.cwd(), "VITE_");
  const authd = new URL(process.env.VITE_AUTHD_URL ?? env.VITE_AUTHD_URL ?? "http://localhost:8080");
  return {
    plugins: [
      {
        // The CSP's connect-src names authd's origin (index.html's meta tag).
        name: "authd-csp-origin",
        transformIndexHtml: (html: string) => html.replace("%AUTHD_ORIGIN%", authd.origin),
      },
    ],
    resolve: {
      alias: {
        "@authd/client": fileURLToPath(new URL("../../clients/typescript/src/authd.ts", import.meta.url)),
      },
      dedupe: ["openapi-fetch"],
    },
    server: { port: 5173, strictPort: true },
    preview: { port: 5173, strictPort: true },
  };
});
