// tsc never copies hand-written or generated .d.ts files into outDir, yet
// dist/authd.d.ts imports "./schema.js": ship the generated types beside it.
import { copyFileSync } from "node:fs";

copyFileSync(new URL("../src/schema.d.ts", import.meta.url), new URL("../dist/schema.d.ts", import.meta.url));
