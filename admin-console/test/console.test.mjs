// The admin console (/admin/) in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core; no browser download) against
// a real authd: an admin signs in with password and TOTP, reads the
// dashboard, finds a user by email prefix, changes their roles, revokes one
// of their sessions, disables and re-enables them, and sees each action in
// the audit log, then a new one arrive by the live tail; pages through the
// users by cursor; checks the dashboard's outbox tiles against /metrics (the
// webhooks go to a receiver that is down, so they are retrying); a read-only
// operator (users:read only) sees no write button; an account without admin
// permissions sees nothing. The CSP and the other headers are checked on
// every file, and no page may log a console error or a CSP violation.
//
//   node --test admin-console/test/console.test.mjs
//
// Needs a built authd (AUTHD_BIN, default target/debug/authd) and `npm ci`
// here. CHROMIUM overrides /usr/bin/chromium. With ADMIN_SCREENSHOTS=<dir>
// every page is also saved there as a PNG, 1280 pixels wide (the pictures
// of docs/images/admin/); without it none is written.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
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
const REPO = resolve(HERE, "../..");
const AUTHD_BIN = resolve(REPO, process.env.AUTHD_BIN ?? "target/debug/authd");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.ADMIN_SCREENSHOTS ? resolve(process.env.ADMIN_SCREENSHOTS) : null;
const PASSWORD = "correct-Horse-battery-9";
const STAMP = Date.now().toString(36).slice(-5);
const ADMIN = `admin-${STAMP}@example.com`;
const TARGET = `target-${STAMP}@example.com`;
const AUDITOR = `auditor-${STAMP}@example.com`;
const READER = `reader-${STAMP}@example.com`;
/** A role with users:read only: the read-only operator of the test. */
const READ_ONLY_ROLE = "auditor";

const CSP = {
  "default-src": "'none'",
  "script-src": "'self'",
  "style-src": "'self'",
  "img-src": "'self' data:",
  "connect-src": "'self'",
  "base-uri": "'none'",
  "form-action": "'self'",
  "frame-ancestors": "'none'",
};

let work;
let base;
let outbox;
let authd;
let browser;
let env;
/** The admin's API token (body mode), from before TOTP enrolment. */
let adminToken;

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

async function waitFor(url, child, lines) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`authd exited early:\n${lines.join("")}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer:\n${lines.join("")}`);
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret at `at` ms. */
function totp(secret, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

async function api(method, path, { token, body, headers = {} } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body ? { "content-type": "application/json" } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

/** The unlabelled gauges of /metrics, by name. */
async function gauges() {
  const text = await (await fetch(`${base}/metrics`)).text();
  const found = new Map();
  for (const line of text.split("\n")) {
    const [name, value] = line.trim().split(/\s+/);
    if (name?.startsWith("authd_") && !name.includes("{") && value !== undefined) found.set(name, Number(value));
  }
  return found;
}

/** The verification token of the newest mail to `email` in the outbox. */
async function verificationToken(email) {
  for (let i = 0; i < 100; i++) {
    const names = existsSync(outbox) ? (await readdir(outbox)).filter((n) => n.endsWith(".eml")).sort().reverse() : [];
    for (const name of names) {
      const text = (await readFile(join(outbox, name), "utf8")).replace(/=\r?\n/g, "").replace(/=3D/g, "=");
      if (!text.toLowerCase().includes(email.toLowerCase())) continue;
      const match = text.match(/verify-email\?token=([A-Za-z0-9._~%-]+)/);
      if (match) return decodeURIComponent(match[1]);
    }
    await sleep(100);
  }
  throw new Error(`no verification mail to ${email} in ${outbox}`);
}

/** A verified account; returns its id. */
async function registerVerified(email) {
  assert.equal((await api("POST", "/v1/auth/register", { body: { email, password: PASSWORD } })).status, 202);
  const verified = await api("POST", "/v1/auth/verify-email", { body: { token: await verificationToken(email) } });
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  return verified.body.id;
}

async function login(email, { userAgent } = {}) {
  const answer = await api("POST", "/v1/auth/login", {
    body: { email, password: PASSWORD },
    headers: userAgent ? { "user-agent": userAgent } : {},
  });
  return answer;
}

/**
 * Console errors, uncaught exceptions and CSP violations of `page`.
 * Chromium logs every answer >= 400 as a console error; `expected` lists the
 * ones the test causes on purpose, as [status, path].
 */
function watch(page, expected = []) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const url = m.location().url ?? "";
    const status = m.text().match(/status of (\d{3})/)?.[1];
    if (status && expected.some(([s, path]) => String(s) === status && url.startsWith(`${base}${path}`))) return;
    errors.push(`${m.text()} (${url})`);
  });
  return errors;
}

/** The CSP violations the page saw (recorded from its first script on). */
async function violations(page) {
  return page.evaluate(() => window.__violations ?? []);
}

/** A signed-out page load asks the cookie for a session once: 401. */
const SIGNED_OUT_LOAD = [401, "/v1/auth/refresh"];

async function newPage(context) {
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on("dialog", (dialog) => dialog.accept());
  return page;
}

async function shot(page, name) {
  if (!SHOTS) return;
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function ready(page, pageName) {
  await page.waitForSelector(`body[data-ready=true][data-page="${pageName}"]`);
}

async function signIn(page, email, code) {
  await page.goto(`${base}/admin/`);
  await page.waitForSelector("body[data-auth=signed-out] #sign-in");
  await page.fill("#sign-in input[name=email]", email);
  await page.fill("#sign-in input[name=password]", PASSWORD);
  await page.click("#sign-in button[type=submit]");
  if (code) {
    await page.waitForSelector("#mfa-code");
    await code(page);
    await page.click("#mfa button[type=submit]");
  }
}

before(async () => {
  assert.ok(existsSync(AUTHD_BIN), `${AUTHD_BIN} is missing: cargo build first, or set AUTHD_BIN`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  if (SHOTS) await mkdir(SHOTS, { recursive: true });
  work = await mkdtemp(join(tmpdir(), "authd-admin-"));
  outbox = join(work, "outbox");
  const port = await freePort();
  // localhost: a secure context, so Chromium keeps the __Host- cookie over http.
  base = `http://localhost:${port}`;
  const db = join(work, "authd.db");
  env = {
    PATH: process.env.PATH,
    AUTH_BIND: `127.0.0.1:${port}`,
    AUTH_ISSUER: base,
    DATABASE_URL: `sqlite://${db}`,
    AUTH_OUTBOX_DIR: outbox,
    AUTH_JWT_KEY_FILE: join(work, "key.pem"),
    AUTH_MFA_KEY_FILE: join(work, "mfa.key"),
    AUTH_BCRYPT_COST: "4",
    AUTH_RATE_LIMITS: "false",
    // No AUTH_CORS_ORIGINS: the console's browser sign-in (cookie mode)
    // comes from the issuer's origin, which needs no listing.
    AUTH_FRONTEND_URL: base,
    // Webhooks of user.* events to a port nobody listens on: each delivery
    // fails and is retried (2 s, 4 s, … : none dies during the test), so the
    // dashboard has some to show as retrying.
    AUTH_WEBHOOK_URL: `http://127.0.0.1:${await freePort()}/hook`,
    AUTH_WEBHOOK_SECRET: `whsec_${Buffer.from("a console test secret, 32 bytes").toString("base64")}`,
    AUTH_WEBHOOK_EVENTS: "user.",
  };
  // The first admin, as an operator makes one (migrates the database too).
  const made = spawnSync(AUTHD_BIN, ["create-admin", "--email", ADMIN], { env, input: `${PASSWORD}\n`, encoding: "utf8" });
  assert.equal(made.status, 0, `create-admin failed: ${made.stdout}${made.stderr}`);
  // A read-only operator's role (the seeded roles have none): users:read
  // only. Roles are read when authd starts, so before `serve`.
  const seeded = spawnSync(
    "python3",
    [
      "-c",
      "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); " +
        "c.execute(\"INSERT INTO roles (name, description) VALUES (?, 'Reads users and the audit log')\", (sys.argv[2],)); " +
        "c.execute(\"INSERT INTO role_permissions (role_name, permission_name) VALUES (?, 'users:read')\", (sys.argv[2],)); c.commit()",
      db,
      READ_ONLY_ROLE,
    ],
    { encoding: "utf8" },
  );
  assert.equal(seeded.status, 0, `could not add the ${READ_ONLY_ROLE} role: ${seeded.stderr}`);

  const lines = [];
  authd = spawn(AUTHD_BIN, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  const keep = (chunk) => {
    lines.push(chunk.toString());
    if (lines.length > 200) lines.shift();
  };
  authd.stdout.on("data", keep);
  authd.stderr.on("data", keep);
  await waitFor(`${base}/readyz`, authd, lines);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
  authd?.kill("SIGTERM");
  if (work) await rm(work, { recursive: true, force: true });
});

test("the console's files carry a strict CSP, their types and the other headers", async () => {
  const files = [
    ["/admin/", "text/html"],
    ["/admin/app.js", "text/javascript"],
    ["/admin/app.css", "text/css"],
  ];
  for (const [path, type] of files) {
    const response = await fetch(`${base}${path}`);
    assert.equal(response.status, 200, path);
    assert.ok(response.headers.get("content-type").startsWith(type), `${path}: ${response.headers.get("content-type")}`);
    const directives = Object.fromEntries(
      response.headers
        .get("content-security-policy")
        .split(";")
        .map((d) => d.trim())
        .filter(Boolean)
        .map((d) => {
          const [name, ...values] = d.split(/\s+/);
          return [name, values.join(" ")];
        }),
    );
    assert.deepEqual(directives, CSP, path);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
    assert.equal(response.headers.get("referrer-policy"), "no-referrer", path);
    assert.equal(response.headers.get("x-frame-options"), "DENY", path);
    assert.ok(response.headers.get("cache-control"), `${path}: no Cache-Control`);
  }
  // One look: the console's stylesheet is the portal's (every custom
  // property of examples/spa/src/style.css) plus the console's own rules.
  const portal = await readFile(join(REPO, "examples/spa/src/style.css"), "utf8");
  const served = await (await fetch(`${base}/admin/app.css`)).text();
  const properties = [...new Set(portal.match(/--[a-z-]+(?=:)/g))];
  assert.ok(properties.length >= 15, `only ${properties.length} custom properties in the portal's stylesheet`);
  for (const p of properties) assert.ok(served.includes(`${p}:`), `the console's app.css lacks the portal's ${p}`);
  assert.ok(served.includes(".tiles{"), "the console's own rules are missing from app.css");
  const html = await (await fetch(`${base}/admin/`)).text();
  assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), "an inline script in index.html");
  assert.ok(!/\sstyle=/i.test(html) && !/<style/i.test(html), "an inline style in index.html");
  const redirect = await fetch(`${base}/admin`, { redirect: "manual" });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get("location"), "/admin/");
});

test("an admin signs in with TOTP, finds a user, changes roles, revokes a session, disables and enables, and audits it", { timeout: 120_000 }, async () => {
  // The admin enrols TOTP through the API.
  const first = await login(ADMIN);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  adminToken = first.body.access_token;
  const enrolment = await api("POST", "/v1/me/mfa/totp", { token: adminToken });
  assert.equal(enrolment.status, 200, JSON.stringify(enrolment.body));
  const { factor_id: factorId, secret } = enrolment.body;
  const confirmed = await api("POST", `/v1/me/mfa/totp/${factorId}/confirm`, { token: adminToken, body: { code: totp(secret) } });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));

  // Users to find: the target with two sessions (two devices), and others
  // whose addresses do not start with "target-".
  const targetId = await registerVerified(TARGET);
  for (const name of ["alice", "bob", "carol", "dave", "erin", "frank"]) await registerVerified(`${name}-${STAMP}@example.com`);
  // More users than one page of 10 (three pages), unverified.
  for (let i = 0; i < 14; i++) {
    assert.equal((await api("POST", "/v1/auth/register", { body: { email: `page-${String(i).padStart(2, "0")}-${STAMP}@example.com`, password: PASSWORD } })).status, 202);
  }
  const phone = await login(TARGET, { userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1" });
  const laptop = await login(TARGET, { userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0" });
  assert.equal(phone.status, 200);
  assert.equal(laptop.status, 200);
  const failed = await api("POST", "/v1/auth/login", { body: { email: TARGET, password: "wrong-Password-1" } });
  assert.equal(failed.status, 401);

  // The mail is out and every webhook tried once (they fail: retrying), so
  // the outbox figures hold still while the dashboard is compared with them.
  for (let i = 0; ; i++) {
    const now = await gauges();
    if (now.get("authd_mail_outbox_pending") === 0 && now.get("authd_webhooks_pending") === now.get("authd_webhooks_retrying")) break;
    assert.ok(i < 100, `the outboxes did not settle: ${JSON.stringify([...now].filter(([k]) => /outbox|webhooks/.test(k)))}`);
    await sleep(100);
  }

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  const errors = watch(page, [SIGNED_OUT_LOAD, [401, "/v1/auth/mfa/verify"]]);

  // Sign-in: the password, then the TOTP code (a wrong one is told first).
  await page.goto(`${base}/admin/`);
  await page.waitForSelector("body[data-auth=signed-out] #sign-in");
  assert.equal(await page.getAttribute("#sign-in input[name=email]", "autocomplete"), "username");
  assert.equal(await page.getAttribute("#sign-in input[name=password]", "autocomplete"), "current-password");
  await page.fill("#sign-in input[name=email]", ADMIN);
  await page.fill("#sign-in input[name=password]", PASSWORD);
  await shot(page, "sign-in");
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("#mfa-code");
  assert.equal(await page.getAttribute("#mfa-code", "autocomplete"), "one-time-code");
  await page.fill("#mfa-code", String((Number(totp(secret, Date.now() + 30_000)) + 1) % 1_000_000).padStart(6, "0"));
  await page.click("#mfa button[type=submit]");
  await page.waitForSelector("#mfa-status.error");
  assert.equal(await page.getAttribute("#mfa-status", "data-code"), "invalid_mfa_code");
  // The next time step: the enrolment spent this one (one step of skew is allowed).
  await page.fill("#mfa-code", totp(secret, Date.now() + 30_000));
  await shot(page, "second-step");
  await page.click("#mfa button[type=submit]");

  // The dashboard.
  await ready(page, "dashboard");
  await page.waitForSelector("#dashboard");
  assert.equal(await page.textContent("#who"), ADMIN);
  const total = (await api("GET", "/v1/admin/users?per_page=1", { token: adminToken })).body.total;
  assert.equal(await page.textContent("#users-total .value"), String(total));
  assert.equal(await page.textContent("#users-role-admin .value"), "1");
  assert.ok(Number(await page.textContent("#logins-24h .value")) >= 3);
  assert.ok(Number(await page.textContent("#failed-24h .value")) >= 1);
  // Three tiles per outbox, as /metrics has them: queued = pending -
  // retrying. Nothing changes them meanwhile (the mail is out, no user.*
  // event happens, a retried webhook stays retrying).
  const metrics = await gauges();
  for (const [box, gauge] of [["mail", "authd_mail_outbox"], ["webhooks", "authd_webhooks"], ["ssf", "authd_ssf_pushes"]]) {
    const pending = metrics.get(`${gauge}_pending`);
    const retrying = metrics.get(`${gauge}_retrying`);
    assert.ok(pending !== undefined && retrying !== undefined, `no ${gauge}_pending or _retrying in /metrics`);
    const shown = {};
    for (const kind of ["queued", "retrying", "dead"]) shown[kind] = await page.textContent(`#${box}-outbox #${box}-${kind} .value`);
    assert.deepEqual(shown, { queued: String(pending - retrying), retrying: String(retrying), dead: String(metrics.get(`${gauge}_dead`)) }, box);
  }
  assert.ok(metrics.get("authd_webhooks_retrying") >= 8, `${metrics.get("authd_webhooks_retrying")} webhooks retrying`);
  assert.equal(await page.locator("svg.chart rect.slot").count(), 24);
  assert.ok((await page.locator("svg.chart rect.bar.ok").count()) >= 1);
  assert.ok((await page.locator("svg.chart rect.bar.bad").count()) >= 1);
  // No token is readable by a script: the refresh token is in the HttpOnly cookie.
  assert.equal(await page.evaluate(() => document.cookie), "");
  const cookie = (await context.cookies(base)).find((c) => c.name === "__Host-authd_refresh");
  assert.ok(cookie?.httpOnly && cookie.secure && cookie.sameSite === "Strict");
  await shot(page, "dashboard");

  // Find the target by the prefix of the address.
  await page.click("#nav a[href='#/users']");
  await ready(page, "users");
  assert.ok((await page.locator("#users-table tr.user").count()) >= 5);
  await shot(page, "users");

  // Pages of 10 by cursor: next, next, previous, previous, each the same
  // users as before, together every user once.
  assert.ok(total > 20 && total <= 30, `${total} users: not three pages of 10`);
  const ids = () => page.locator("#users-table tr.user").evaluateAll((rows) => rows.map((r) => r.dataset.id));
  const drawn = async (click) => {
    const was = await page.evaluate(() => document.body.dataset.route);
    await page.click(click);
    await page.waitForFunction((old) => document.body.dataset.route === location.hash && location.hash !== old, was);
    return ids();
  };
  await page.selectOption("#users-per-page", "10");
  const page1 = await drawn("#users-filter button[type=submit]");
  assert.equal(await page.evaluate(() => location.hash), "#/users?per_page=10");
  assert.equal(page1.length, 10);
  assert.match(await page.textContent("#users-count"), /page 1 of 3$/);
  assert.equal(await page.locator("a.pager-prev, a.pager-first").count(), 0);
  const page2 = await drawn("a.pager-next");
  assert.match(await page.evaluate(() => location.hash), /^#\/users\?per_page=10&cursor=./);
  assert.equal(page2.length, 10);
  assert.deepEqual(page2.filter((id) => page1.includes(id)), [], "page 2 repeats users of page 1");
  assert.match(await page.textContent("#users-count"), /page 2 of 3$/);
  await shot(page, "users-paged");
  const page3 = await drawn("a.pager-next");
  assert.equal(page3.length, total - 20);
  assert.match(await page.textContent("#users-count"), /page 3 of 3$/);
  assert.equal(await page.locator("a.pager-next").count(), 0);
  assert.equal(new Set([...page1, ...page2, ...page3]).size, total, "a user on two pages, or one on none");
  assert.deepEqual(await drawn("a.pager-prev"), page2);
  assert.deepEqual(await drawn("a.pager-prev"), page1);
  assert.equal(await page.evaluate(() => location.hash), "#/users?per_page=10");
  // The browser's Back shows the page before again.
  await page.goBack();
  await page.waitForFunction(() => document.body.dataset.route === location.hash && location.hash.includes("cursor="));
  assert.deepEqual(await ids(), page2);
  // A reload keeps the page; the way back is unknown then: "First page".
  await page.reload();
  await page.waitForSelector(`body[data-ready=true][data-route*="cursor="] #users-table tr.user`);
  assert.deepEqual(await ids(), page2);
  assert.doesNotMatch(await page.textContent("#users-count"), /page \d/);
  assert.deepEqual(await drawn("a.pager-first"), page1);
  await page.goto(`${base}/admin/#/users`);
  await page.waitForSelector(`body[data-route="#/users"] #users-table tr.user`);
  // The two-factor column: the admin signed in with TOTP.
  await page.fill("#user-search", ADMIN);
  await page.click("#users-filter button[type=submit]");
  await page.waitForFunction(() => document.body.dataset.route === location.hash && location.hash.includes("email=admin-") && document.querySelectorAll("#users-table tr.user").length === 1);
  assert.equal((await page.locator("#users-table tr.user td.factors").innerText()).trim(), "authenticator app");
  await page.fill("#user-search", "target-");
  await page.click("#users-filter button[type=submit]");
  // The page drawn for this hash, not the admin's one-row page still on screen.
  await page.waitForFunction(() => document.body.dataset.route === location.hash && location.hash.includes("email=target-") && document.querySelectorAll("#users-table tr.user").length === 1);
  assert.equal(await page.getAttribute("#users-table tr.user", "data-email"), TARGET);
  // ... and the target has none.
  assert.equal((await page.locator("#users-table tr.user td.factors").innerText()).trim(), "none");
  await page.click("#users-table tr.user a.user-link");
  await ready(page, "user");
  await page.waitForSelector(`#user[data-id="${targetId}"]`);
  assert.equal(await page.textContent("#user-email"), TARGET);
  assert.equal(await page.locator("#sessions tr.session").count(), 2);
  assert.match(await page.textContent("#ways-in"), /No second factor/);
  await shot(page, "user");

  // Roles: add editor.
  await page.check("#roles input[value=editor]");
  await page.click("#save-roles");
  await page.waitForSelector("#action-status.ok");
  assert.match(await page.textContent("#action-status"), /Roles saved/);
  assert.deepEqual((await api("GET", `/v1/admin/users/${targetId}`, { token: adminToken })).body.roles.sort(), ["editor", "viewer"]);
  assert.ok(await page.isChecked("#roles input[value=editor]"));

  // Revoke the phone's session: its tokens stop at once, the laptop's work.
  const phoneSession = (await api("GET", `/v1/admin/users/${targetId}/sessions`, { token: adminToken })).body.sessions.find((s) =>
    s.user_agent.includes("iPhone"),
  );
  assert.ok(phoneSession);
  await page.click(`#revoke-${phoneSession.id}`);
  await page.waitForFunction(() => document.querySelectorAll("#sessions tr.session").length === 1);
  assert.match(await page.textContent("#action-status"), /Session revoked/);
  assert.equal((await api("GET", "/v1/me", { token: phone.body.access_token })).status, 401);
  assert.equal((await api("GET", "/v1/me", { token: laptop.body.access_token })).status, 200);

  // Disable (confirmed in a dialog): sign-in refused, every session ends.
  await page.click("#disable");
  await page.waitForSelector("#enable");
  assert.match(await page.textContent("#action-status"), /Disabled/);
  assert.match(await page.textContent("#user-details"), /disabled/);
  assert.equal((await api("GET", "/v1/me", { token: laptop.body.access_token })).status, 401);
  assert.equal((await login(TARGET)).body.code, "account_disabled");
  await shot(page, "user-disabled");

  // Enable again: sign-in works.
  await page.click("#enable");
  await page.waitForSelector("#disable");
  assert.match(await page.textContent("#action-status"), /Enabled/);
  assert.equal((await login(TARGET)).status, 200);

  // The audit log shows each action, by this admin, about this user.
  await page.click("a[href^='#/audit?user_id=']");
  await ready(page, "audit");
  await page.waitForSelector("#audit-events tr.event");
  const types = await page.locator("#audit-events tr.event").evaluateAll((rows) => rows.map((r) => r.dataset.type));
  for (const type of ["user.roles_changed", "session.revoked", "user.disabled", "user.enabled", "login.failed", "user.registered"]) {
    assert.ok(types.includes(type), `${type} is not in the audit page: ${types}`);
  }
  const adminId = (await api("GET", "/v1/me", { token: adminToken })).body.id;
  const actions = await page.locator("#audit-events tr.event").evaluateAll((rows) =>
    rows.map((r) => ({
      type: r.dataset.type,
      actor: r.querySelector("td.actor a")?.dataset.id,
      actorName: r.querySelector("td.actor")?.textContent,
      subject: r.querySelector("td.subject a")?.dataset.id,
    })),
  );
  for (const type of ["user.roles_changed", "session.revoked", "user.disabled", "user.enabled"]) {
    const event = actions.find((a) => a.type === type);
    assert.equal(event.actor, adminId, `${type} not by the admin`);
    assert.equal(event.actorName, ADMIN, `${type}: the actor is not named by email`);
    assert.equal(event.subject, targetId, `${type} not about the target`);
  }
  assert.ok(actions.every((a) => a.subject === targetId), "an event of another user in the filtered log");
  // The type filter (§12): only user.disabled.
  await page.selectOption("#audit-type", "user.disabled");
  await page.click("#audit-filter button[type=submit]");
  await page.waitForFunction(() => document.body.dataset.route === location.hash && location.hash.includes("type=user.disabled"));
  await page.waitForFunction(() => [...document.querySelectorAll("#audit-events tr.event")].every((r) => r.dataset.type === "user.disabled"));
  assert.equal(await page.locator("#audit-events tr.event").count(), 1);

  // The live tail: on, it shows a new event of the page's filter (the
  // target's failed sign-in, made now through the API) on top within a few
  // seconds, highlighted, once; another user's event stays out; off, nothing
  // more arrives.
  await page.goto(`${base}/admin/#/audit?user_id=${targetId}`);
  await page.waitForSelector(`body[data-route="#/audit?user_id=${targetId}"] #audit-events tr.event`);
  const shown = await page.locator("#audit-events tr.event").count();
  assert.equal(await page.getAttribute("#audit-live", "aria-pressed"), "false");
  await page.click("#audit-live");
  assert.equal(await page.getAttribute("#audit-live", "aria-pressed"), "true");
  await sleep(2500); // a first poll with nothing new
  assert.equal(await page.locator("#audit-events tr.event").count(), shown);
  assert.equal((await api("POST", "/v1/auth/login", { body: { email: `alice-${STAMP}@example.com`, password: "wrong-Password-1" } })).status, 401);
  assert.equal((await api("POST", "/v1/auth/login", { body: { email: TARGET, password: "wrong-Password-1" } })).status, 401);
  const arrived = Date.now();
  await page.waitForSelector("#audit-events tr.event.new", { timeout: 6000 });
  const seconds = (Date.now() - arrived) / 1000;
  assert.ok(seconds < 5, `the new event took ${seconds} s`);
  const top = await page.locator("#audit-events tr.event").first().evaluate((r) => ({
    type: r.dataset.type,
    isNew: r.classList.contains("new"),
    subject: r.querySelector("td.subject a")?.dataset.id,
  }));
  assert.deepEqual(top, { type: "login.failed", isNew: true, subject: targetId });
  await shot(page, "audit-live");
  await sleep(4500); // two more polls: nothing repeats, nothing of alice's
  const tail = await page.locator("#audit-events tr.event").evaluateAll((rows) => rows.map((r) => r.dataset.id));
  assert.equal(tail.length, shown + 1, "the live tail repeated an event or showed another user's");
  assert.equal(new Set(tail).size, tail.length, "an event twice in the table");
  assert.equal(await page.locator("#audit-events tr.event.new").count(), 1);
  await page.click("#audit-live");
  assert.equal(await page.getAttribute("#audit-live", "aria-pressed"), "false");
  assert.equal((await api("POST", "/v1/auth/login", { body: { email: TARGET, password: "wrong-Password-1" } })).status, 401);
  await sleep(4500);
  assert.equal(await page.locator("#audit-events tr.event").count(), shown + 1, "an event arrived with the live tail off");

  // Everyone's events, the newest page, then an older page by the cursor.
  await page.goto(`${base}/admin/#/audit?limit=20`);
  await page.waitForSelector(`body[data-route="#/audit?limit=20"] #audit-events tr.event`);
  assert.equal(await page.locator("#audit-events tr.event").count(), 20);
  await shot(page, "audit");
  const newest = await page.getAttribute("#audit-events tr.event", "data-id");
  await page.click("a.pager-next");
  await page.waitForFunction((id) => location.hash.includes("cursor=") && document.querySelector("#audit-events tr.event")?.dataset.id !== id, newest);
  const older = await page.locator("#audit-events tr.event").evaluateAll((rows) => rows.map((r) => r.dataset.id));
  assert.ok(older.every((id) => id < newest), "the older page repeats newer events");

  // The admin's own page lists the TOTP factor and the recovery codes left.
  await page.goto(`${base}/admin/#/users/${adminId}`);
  await page.waitForSelector(`body[data-route="#/users/${adminId}"] #ways-in tr.factor[data-type=totp]`);
  assert.equal(await page.locator("#ways-in tr.factor").count(), 1);
  assert.match(await page.textContent("#recovery-left"), /^10 recovery codes left/);
  await shot(page, "user-factors");

  // A reload keeps the operator signed in (the cookie), then sign out.
  await page.reload();
  await page.waitForSelector(`body[data-auth=signed-in][data-route="#/users/${adminId}"] #ways-in`);
  await page.click("#sign-out");
  await page.waitForSelector("body[data-auth=signed-out] #sign-in");

  assert.deepEqual(await violations(page), []);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a read-only operator sees no write action; an account without admin permissions sees nothing", { timeout: 60_000 }, async () => {
  assert.ok(adminToken, "run the whole file: the admin's token comes from the test above");
  const auditorId = await registerVerified(AUDITOR);
  const set = await api("PUT", `/v1/admin/users/${auditorId}/roles`, { token: adminToken, body: { roles: [READ_ONLY_ROLE] } });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  await registerVerified(READER);
  const targetId = (await api("GET", `/v1/admin/users?email=${encodeURIComponent(TARGET)}`, { token: adminToken })).body.users[0].id;

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await newPage(context);
  // The account without users:read is told by a 403 from the roles API.
  const errors = watch(page, [SIGNED_OUT_LOAD, [403, "/v1/admin/roles"]]);
  await signIn(page, AUDITOR);
  await ready(page, "dashboard");
  await page.waitForSelector("#users-total");
  await page.goto(`${base}/admin/#/users/${targetId}`);
  await ready(page, "user");
  await page.waitForSelector(`#user[data-id="${targetId}"]`);
  // Reads everything users:read gives; no write button, no roles editor, no
  // sessions (listing them needs users:write).
  assert.equal(await page.locator("button.write").count(), 0);
  assert.equal(await page.locator("#user-actions").count(), 0);
  assert.equal(await page.locator("#roles input").count(), 0);
  assert.equal(await page.locator("#sessions").count(), 0);
  assert.ok((await page.locator("#user-events tr.event").count()) > 0);
  assert.match(await page.textContent("#roles"), /editor/);
  await shot(page, "user-read-only");
  await page.goto(`${base}/admin/#/audit`);
  await ready(page, "audit");
  await page.waitForSelector("#audit-events tr.event");
  // And the API refuses the writes anyway.
  const token = await page.evaluate(async () => {
    const r = await fetch("/v1/auth/refresh", { method: "POST", headers: { "x-authd-transport": "cookie", "content-type": "application/json" }, body: "{}", credentials: "include" });
    return (await r.json()).access_token;
  });
  assert.ok(token);
  assert.equal((await api("POST", `/v1/admin/users/${targetId}/disable`, { token })).status, 403);
  assert.equal((await api("PUT", `/v1/admin/users/${targetId}/roles`, { token, body: { roles: [] } })).status, 403);
  assert.equal((await api("GET", `/v1/admin/users/${targetId}/sessions`, { token })).status, 403);
  await page.click("#sign-out");
  await page.waitForSelector("body[data-auth=signed-out]");

  // The seeded viewer role has no admin permission: nothing but a notice.
  await signIn(page, READER);
  await page.waitForSelector("body[data-auth=no-access] #no-access");
  assert.equal(await page.locator("#nav a").count(), 0);
  assert.equal(await page.locator("table").count(), 0);
  await shot(page, "no-access");
  await page.goto(`${base}/admin/#/users`);
  await page.waitForSelector("body[data-auth=no-access] #no-access");
  assert.equal(await page.locator("table").count(), 0);

  assert.deepEqual(await violations(page), []);
  assert.deepEqual(errors, [], "console errors");
  await context.close();
});
