// The example SPA in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core; no browser download) against a real authd in browser
// mode: register, verify from the mail, log in, profile, the cookie nobody
// can read, two tabs refreshing at once (one refresh reaches the server),
// sessions with revoke, logout in one tab logs the other out, password reset.
//
//   node --test examples/spa/test/browser.test.mjs
//
// Needs target/debug/authd (cargo build) and `npm ci` in examples/spa.
// AUTHD_BIN and CHROMIUM override the two paths.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const SPA_DIR = resolve(HERE, "..");
const REPO = resolve(SPA_DIR, "../..");
const AUTHD_BIN = process.env.AUTHD_BIN ?? join(REPO, "target/debug/authd");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SPA = "http://localhost:5173";
const SCREENSHOTS = join(SPA_DIR, "test-results");
const PASSWORD = "correct-Horse-battery-9";
const COOKIE = "__Host-authd_refresh";

let work;
let authdUrl;
let outbox;
const children = [];
let browser;

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on("error", fail);
  });
}

function start(command, args, env, log) {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], cwd: SPA_DIR });
  const lines = [];
  const keep = (chunk) => {
    lines.push(chunk.toString());
    if (lines.length > 200) lines.shift();
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.output = () => `${log}:\n${lines.join("")}`;
  children.push(child);
  return child;
}

async function waitFor(url, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`exited early\n${child.output()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer\n${child.output()}`);
}

/** The verification (or reset) token of the newest mail to `email` in the outbox. */
async function tokenFromMail(email, path) {
  for (let i = 0; i < 100; i++) {
    const names = existsSync(outbox) ? (await readdir(outbox)).filter((n) => n.endsWith(".eml")).sort().reverse() : [];
    for (const name of names) {
      const raw = await readFile(join(outbox, name), "utf8");
      const text = raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
      if (!text.toLowerCase().includes(email.toLowerCase())) continue;
      const match = text.match(new RegExp(`${path}\\?token=([A-Za-z0-9._~%-]+)`));
      if (match) return decodeURIComponent(match[1]);
    }
    await sleep(100);
  }
  throw new Error(`no ${path} mail to ${email} in ${outbox}`);
}

/** POST /v1/auth/refresh requests the server has answered, by /metrics. */
async function refreshCount() {
  const text = await (await fetch(`${authdUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("authd_http_requests_total{") && line.includes('route="/v1/auth/refresh"') && line.includes('method="POST"')) {
      total += Number(line.trim().split(/\s+/).pop());
    }
  }
  return total;
}

/** Every place a script could read: cookies, both storages. */
async function scriptVisible(page) {
  return page.evaluate(() => {
    const dump = (s) => Object.keys(s).map((k) => `${k}=${s.getItem(k)}`).join(";");
    return { cookie: document.cookie, local: dump(localStorage), session: dump(sessionStorage) };
  });
}

before(async () => {
  assert.ok(existsSync(AUTHD_BIN), `${AUTHD_BIN} is missing: run cargo build first`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  work = await mkdtemp(join(tmpdir(), "authd-spa-"));
  outbox = join(work, "outbox");
  await mkdir(SCREENSHOTS, { recursive: true });
  const port = await freePort();
  authdUrl = `http://localhost:${port}`;
  const authd = start(
    AUTHD_BIN,
    ["serve"],
    {
      PATH: process.env.PATH,
      AUTH_BIND: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${join(work, "authd.db")}`,
      AUTH_OUTBOX_DIR: outbox,
      AUTH_JWT_KEY_FILE: join(work, "key.pem"),
      AUTH_MFA_KEY_FILE: join(work, "mfa.key"),
      AUTH_BCRYPT_COST: "4",
      AUTH_RATE_LIMITS: "false",
      AUTH_CORS_ORIGINS: SPA,
      AUTH_FRONTEND_URL: SPA,
    },
    "authd",
  );
  await waitFor(`http://127.0.0.1:${port}/readyz`, authd);
  const vite = start(
    process.execPath,
    [join(SPA_DIR, "node_modules/vite/bin/vite.js"), "--port", "5173", "--strictPort", "--host", "localhost"],
    { ...process.env, VITE_AUTHD_URL: authdUrl },
    "vite",
  );
  await waitFor(`${SPA}/`, vite);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  for (const child of children) child.kill("SIGTERM");
  if (work) await rm(work, { recursive: true, force: true });
});

test("the SPA in a real browser: register, verify, login, two tabs, sessions, logout, reset", { timeout: 90_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = `spa-${Date.now()}@example.com`;

  // Register, then the link from the mail.
  await page.goto(`${SPA}/register`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#register input[name=email]", email);
  await page.fill("#register input[name=password]", PASSWORD);
  await page.click("#register button");
  await page.waitForSelector("#register-status.ok");
  await page.screenshot({ path: join(SCREENSHOTS, "register.png") });
  const token = await tokenFromMail(email, "/verify-email");
  await page.goto(`${SPA}/verify-email?token=${encodeURIComponent(token)}`);
  await page.waitForSelector("#verified.ok");

  // Log in: the profile comes from /v1/me.
  await page.goto(`${SPA}/login`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#login input[name=email]", email);
  await page.fill("#login input[name=password]", PASSWORD);
  await page.click("#login button");
  await page.waitForSelector("#profile-email");
  assert.equal(await page.textContent("#profile-email"), email);
  await page.screenshot({ path: join(SCREENSHOTS, "profile.png") });

  // The refresh cookie is there (Secure works on http://localhost), with
  // every attribute, and no script can see any token.
  const cookies = await context.cookies(authdUrl);
  const refresh = cookies.find((c) => c.name === COOKIE);
  assert.ok(refresh, `no ${COOKIE} cookie: ${JSON.stringify(cookies.map((c) => c.name))}`);
  assert.equal(refresh.httpOnly, true);
  assert.equal(refresh.secure, true);
  assert.equal(refresh.sameSite, "Strict");
  assert.equal(refresh.path, "/");
  const visible = await scriptVisible(page);
  for (const [where, text] of Object.entries(visible)) {
    assert.ok(!text.includes(refresh.value), `the refresh token is readable in ${where}`);
    assert.ok(!text.includes("eyJ"), `a token is readable in ${where}: ${text}`);
  }

  // A reload keeps the user logged in: the cookie brings a new access token.
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  await page.goto(`${SPA}/profile`);
  await page.waitForSelector("#profile-email");

  // A second tab is logged in too.
  const page2 = await context.newPage();
  await page2.goto(`${SPA}/profile`);
  await page2.waitForSelector("#profile-email");

  // Both tabs refresh at the same moment: one refresh reaches authd, both
  // end up with the same fresh access token.
  // The test holds the client's refresh lock (Web Locks) while both tabs
  // ask, so both asks are pending at once whatever the scheduler does;
  // then it lets go and the clients' own locking decides.
  const lockName = `authd:${authdUrl}:refresh`;
  await page.evaluate((name) => {
    window.__releaseRefreshLock = null;
    navigator.locks.request(name, () => new Promise((release) => (window.__releaseRefreshLock = release)));
  }, lockName);
  await page.waitForFunction(() => window.__releaseRefreshLock !== null);
  const before = await refreshCount();
  const asks = [
    page.evaluate(() => window.authd.refresh().then((t) => t.access_token)),
    page2.evaluate(() => window.authd.refresh().then((t) => t.access_token)),
  ];
  await page2.waitForFunction(
    async (name) => ((await navigator.locks.query()).pending ?? []).filter((l) => l.name === name).length === 2,
    lockName,
  );
  await page.evaluate(() => window.__releaseRefreshLock());
  const [a, b] = await Promise.all(asks);
  assert.equal(await refreshCount(), before + 1, "exactly one refresh request for two tabs");
  assert.equal(a, b);
  for (const p of [page, page2]) {
    const me = await p.evaluate(() => window.authd.me().then((u) => u.email));
    assert.equal(me, email);
  }

  // Sessions: a second session (another device), revoked from the list.
  const other = await fetch(`${authdUrl}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(other.status, 200);
  const otherAccess = (await other.json()).access_token;
  await page.goto(`${SPA}/sessions`);
  await page.waitForSelector("#sessions tr.session");
  assert.equal(await page.locator("#sessions tr.session").count(), 2);
  await page.screenshot({ path: join(SCREENSHOTS, "sessions.png") });
  await page.locator("#sessions tr.session", { hasNotText: "current" }).locator("button.revoke").click();
  await page.waitForFunction(() => document.querySelectorAll("#sessions tr.session").length === 1);
  const revoked = await fetch(`${authdUrl}/v1/me`, { headers: { authorization: `Bearer ${otherAccess}` } });
  assert.equal(revoked.status, 401);

  // Logout in one tab logs the other out, and the cookie is gone.
  await page.goto(`${SPA}/logout`);
  await page.waitForSelector("#logged-out");
  await page2.waitForSelector("body[data-auth=signed-out]");
  await page2.waitForURL(`${SPA}/login`);
  assert.equal((await context.cookies(authdUrl)).find((c) => c.name === COOKIE), undefined);
  await page2.reload();
  await page2.waitForSelector("body[data-ready=true]");
  assert.equal(await page2.getAttribute("body", "data-auth"), "signed-out");

  // Password reset: request, the link from the mail, the new password logs in.
  await page.goto(`${SPA}/forgot-password`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#forgot input[name=email]", email);
  await page.click("#forgot button");
  await page.waitForSelector("#forgot-status.ok");
  const resetToken = await tokenFromMail(email, "/reset-password");
  await page.goto(`${SPA}/reset-password?token=${encodeURIComponent(resetToken)}`);
  await page.waitForSelector("body[data-ready=true]");
  const newPassword = "another-Horse-battery-7";
  await page.fill("#reset input[name=password]", newPassword);
  await page.click("#reset button");
  await page.waitForSelector("#reset-status.ok");
  await page.goto(`${SPA}/login`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#login input[name=email]", email);
  await page.fill("#login input[name=password]", newPassword);
  await page.click("#login button");
  await page.waitForSelector("#profile-email");
  await context.close();
});
