// `npm install <path to this folder>`, `npm pack` and installs from git run
// `prepare` here: install the pinned build tools from package-lock.json when
// they are missing (a fresh clone), then build dist/. The installed
// node_modules/ also serves the runtime dependency (openapi-fetch) when npm
// links this folder instead of copying it (its default for a local path).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
// Under npm (always, for `prepare`), npm_execpath is npm's own CLI script:
// run it with this node, which also works on Windows (no npm.cmd shim).
const npmCli = process.env.npm_execpath;
const run = (args) =>
  npmCli
    ? execFileSync(process.execPath, [npmCli, ...args], { cwd: root, stdio: "inherit" })
    : execFileSync("npm", args, { cwd: root, stdio: "inherit", shell: process.platform === "win32" });

if (!existsSync(new URL("../node_modules/typescript/package.json", import.meta.url))) {
  run(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]);
}
run(["run", "build"]);
