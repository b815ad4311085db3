// Builds dist/ (index.html, app.js, app.css) from src/. app.css is the
// account portal's stylesheet (examples/spa/src/style.css) and the console's
// own rules (src/console.css), bundled from src/app.css. Deterministic: the
// same sources and the locked esbuild give the same bytes, which
// `.ci/run` checks (`npm run build && git diff --exit-code dist`), and
// authd embeds dist/ with include_bytes! (src/routes/admin_console.rs).
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, "dist");

await mkdir(DIST, { recursive: true });
await build({
  absWorkingDir: HERE,
  entryPoints: ["src/main.ts"],
  outfile: "dist/app.js",
  bundle: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  minify: true,
  legalComments: "none",
  charset: "utf8",
  // @authd/client from its source in this repository (clients/typescript),
  // as examples/spa does; its openapi-fetch import resolves here.
  alias: { "@authd/client": "../clients/typescript/src/authd.ts" },
  nodePaths: [join(HERE, "node_modules")],
  logLevel: "warning",
});
await build({
  absWorkingDir: HERE,
  entryPoints: ["src/app.css"],
  outfile: "dist/app.css",
  bundle: true,
  minify: true,
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
});
await copyFile(join(HERE, "src/index.html"), join(DIST, "index.html"));
