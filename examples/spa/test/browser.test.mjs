// The account portal (examples/spa) in headless Chromium (Debian's
// /usr/bin/chromium, driven by playwright-core; no browser download)
// against a real authd in browser mode and a real OpenID Provider
// (ci-tools/oidc-provider): every page — sign up, verify, sign in by
// password, passkey (button and autofill), email link and code, a
// provider, the second step, forgot and reset; profile and language,
// email change (pending, from the server), password change and set, an
// authenticator app by QR code, recovery codes, passkeys, renaming a passkey
// and an app, linked providers, sessions, activity — with
// accessibility basics (every input labelled, buttons named, focus
// visible), no console error and no Content-Security-Policy violation on
// any page, and the CSP itself checked.
//
//   AUTHD_BIN=/path/to/authd node --test test/browser.test.mjs
//
// Needs target/debug/authd (cargo build), `npm ci` here and in
// ci-tools/oidc-provider. AUTHD_BIN and CHROMIUM override the two paths.
// PORTAL_SCREENSHOTS=DIR writes a PNG of every page there (the ones in
// docs/images/portal/ were made so).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
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
const SPA_DIR = resolve(HERE, "..");
const REPO = resolve(SPA_DIR, "../..");
const AUTHD_BIN = process.env.AUTHD_BIN ?? join(REPO, "target/debug/authd");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const OIDC_PROVIDER = join(REPO, "ci-tools/oidc-provider");
const SPA = "http://localhost:5173";
const SCREENSHOTS = process.env.PORTAL_SCREENSHOTS ? resolve(process.env.PORTAL_SCREENSHOTS) : null;
const PASSWORD = "correct-Horse-battery-9";
const COOKIE = "__Host-authd_refresh";
const DESKTOP = { width: 1280, height: 860 };

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

function start(command, args, env, log, cwd = SPA_DIR) {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], cwd });
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

/** The local OpenID Provider: its issuer once it listens. */
async function startProvider() {
  assert.ok(existsSync(join(OIDC_PROVIDER, "node_modules")), `run npm ci in ${OIDC_PROVIDER} first`);
  const child = start(process.execPath, ["server.mjs", "0"], { PATH: process.env.PATH }, "oidc-provider", OIDC_PROVIDER);
  for (let i = 0; i < 300; i++) {
    const issuer = child.output().match(/oidc-provider ready (\S+)/)?.[1];
    if (issuer) return issuer;
    if (child.exitCode !== null) throw new Error(`exited early\n${child.output()}`);
    await sleep(100);
  }
  throw new Error(`the provider did not start\n${child.output()}`);
}

/** The verification (or reset, or email-change) token of the newest mail to `email` in the outbox. */
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

/** An API login from Node (another device): its access token. */
async function apiLogin(email, password) {
  const r = await fetch(`${authdUrl}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  assert.equal(r.status, 200, `API login of ${email}`);
  return (await r.json()).access_token;
}

/** The current TOTP code of a base32 secret (RFC 6238: SHA-1, 6 digits, 30 s). */
function totp(secret, at = Date.now()) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/[\s=]/g, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[19] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

// ---- what every page must do ----------------------------------------------

/**
 * Accessibility basics and the CSP's rules on the page on screen: every
 * input, select and textarea has a label (or an aria name); inputs say
 * what to autofill (passwords `current-password` or `new-password`);
 * buttons and links have names; images have alt text; one h1; no inline
 * style attribute; no duplicate id.
 */
async function pageProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const named = (el) => (el.getAttribute("aria-label") ?? "").trim() || (el.getAttribute("aria-labelledby") && document.getElementById(el.getAttribute("aria-labelledby"))?.textContent.trim());
    for (const el of document.querySelectorAll("input, select, textarea")) {
      if (el.type === "hidden") continue;
      const label = [...(el.labels ?? [])].some((l) => l.textContent.trim()) || named(el);
      if (!label) problems.push(`unlabelled ${el.tagName.toLowerCase()} name=${el.name}`);
      if (!el.getAttribute("autocomplete")) problems.push(`no autocomplete on ${el.name}`);
      if (el.type === "password" && !["current-password", "new-password"].includes(el.getAttribute("autocomplete"))) {
        problems.push(`password ${el.name} has autocomplete=${el.getAttribute("autocomplete")}`);
      }
    }
    for (const el of document.querySelectorAll("button, a[href], summary")) {
      if (!(named(el) || el.textContent.trim())) problems.push(`unnamed ${el.tagName.toLowerCase()} ${el.outerHTML.slice(0, 80)}`);
    }
    for (const img of document.querySelectorAll("img")) if (!img.getAttribute("alt")) problems.push(`img without alt: ${img.id}`);
    if (document.querySelectorAll("main h1").length !== 1) problems.push(`${document.querySelectorAll("main h1").length} h1 in main`);
    // An empty style="" styles nothing: Chromium's autofill leaves one on
    // the inputs of a form after a full-page screenshot.
    for (const el of document.querySelectorAll("[style]:not([style=''])")) problems.push(`inline style on ${el.tagName.toLowerCase()}#${el.id}: ${el.getAttribute("style")}`);
    const ids = [...document.querySelectorAll("[id]")].map((e) => e.id);
    for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) problems.push(`duplicate id ${id}`);
    if (!document.documentElement.lang) problems.push("no lang on html");
    return problems;
  });
}

/** The page is drawn: no problems on it, and its screenshot (when asked for). */
async function checkPage(page, name, { shot = true } = {}) {
  await page.waitForSelector("body[data-ready=true]");
  await page.waitForFunction(() => !document.querySelector("#app[aria-busy]"));
  assert.deepEqual(await pageProblems(page), [], `problems on ${name} (${page.url()})`);
  if (shot) await screenshot(page, name);
}

async function screenshot(page, name) {
  if (!SCREENSHOTS) return;
  await mkdir(SCREENSHOTS, { recursive: true });
  // Relative times and the caret are the only moving parts.
  await page.evaluate(() => document.activeElement?.blur());
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Console errors, uncaught exceptions and CSP violations of `page`.
 * Chromium logs every answer >= 400 as a console error; `expected` lists
 * the ones the test causes on purpose, as [status, path] (a signed-out
 * page load refreshes: 401 from /v1/auth/refresh).
 */
function consoleErrors(page, expected) {
  const errors = [];
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const url = m.location().url ?? "";
    const status = m.text().match(/status of (\d{3})/)?.[1];
    if (status && expected.some(([s, path]) => String(s) === status && url.startsWith(`${authdUrl}${path}`))) return;
    errors.push(`${m.text()} (${url})`);
  });
  return errors;
}

/**
 * A browser context whose every page reports Content-Security-Policy
 * violations (the `securitypolicyviolation` event, across navigations).
 */
async function newContext(options = {}) {
  const context = await browser.newContext({ viewport: DESKTOP, ...options });
  const violations = [];
  await context.exposeFunction("__cspViolation", (v) => violations.push(v));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI} on ${location.pathname}`);
    });
  });
  context.cspViolations = violations;
  return context;
}

const SIGNED_OUT_LOAD = [401, "/v1/auth/refresh"];

let issuer;

before(async () => {
  assert.ok(existsSync(AUTHD_BIN), `${AUTHD_BIN} is missing: run cargo build first (or set AUTHD_BIN)`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  work = await mkdtemp(join(tmpdir(), "authd-spa-"));
  outbox = join(work, "outbox");
  issuer = await startProvider();
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
      AUTH_OIDC_PROVIDERS: "test",
      AUTH_OIDC_TEST_ISSUER: issuer,
      AUTH_OIDC_TEST_CLIENT_ID: "web",
      AUTH_OIDC_TEST_CLIENT_SECRET: "web-secret",
      AUTH_OAUTH_REDIRECT_URIS: `${SPA}/oauth/callback`,
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

test("the SPA in a real browser: register, verify, login, two tabs, sessions, logout, reset", { timeout: 120_000 }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  const errors = consoleErrors(page, [SIGNED_OUT_LOAD]);
  const email = `spa-${Date.now()}@example.com`;

  // Sign in page: keyboard focus is visible.
  await page.goto(`${SPA}/login`);
  await checkPage(page, "login");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  const focus = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    return { tag: document.activeElement.tagName, outline: style.outlineStyle, width: style.outlineWidth };
  });
  assert.notEqual(focus.outline, "none", `no visible focus on ${focus.tag}`);
  assert.notEqual(focus.width, "0px");

  // Register, then the link from the mail.
  await page.goto(`${SPA}/register`);
  await checkPage(page, "register");
  await page.fill("#register input[name=email]", email);
  await page.fill("#register input[name=display_name]", "Ada Lovelace");
  await page.fill("#register input[name=password]", PASSWORD);
  await page.click("#register button[type=submit]");
  await page.waitForSelector("#register-status.ok");
  await screenshot(page, "register-sent");
  const token = await tokenFromMail(email, "/verify-email");
  await page.goto(`${SPA}/verify-email?token=${encodeURIComponent(token)}`);
  await page.waitForSelector("#verified.ok");
  await checkPage(page, "verify-email");

  // Log in: the profile comes from /v1/me.
  await page.goto(`${SPA}/login`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#login input[name=email]", email);
  await page.fill("#login input[name=password]", PASSWORD);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#profile-email");
  assert.equal(await page.textContent("#profile-email"), email);
  await checkPage(page, "profile");

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
  const errors2 = consoleErrors(page2, [SIGNED_OUT_LOAD]);
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

  // Sessions: device names from the user agent, this device first,
  // relative times; another device (Node's fetch) revoked from the list.
  const otherAccess = await apiLogin(email, PASSWORD);
  await page.goto(`${SPA}/sessions`);
  await page.waitForSelector("#sessions li.session");
  await checkPage(page, "sessions");
  assert.equal(await page.locator("#sessions li.session").count(), 2);
  const current = page.locator("#sessions li.session.current");
  assert.equal(await current.count(), 1);
  assert.match(await current.locator(".item-title").textContent(), /^Headless Chrome on Linux\s*This device$/);
  assert.match(await current.textContent(), /Signed in (just now|\d+ minutes? ago)/);
  assert.equal(await current.locator("time").first().getAttribute("datetime") !== null, true);
  assert.match(await page.locator("#sessions li.session:not(.current) .item-title").textContent(), /^Node\.js$/);
  await page.locator("#sessions li.session:not(.current) button.revoke").click();
  await page.waitForSelector("#sessions-notice");
  assert.equal(await page.locator("#sessions li.session").count(), 1);
  assert.equal((await fetch(`${authdUrl}/v1/me`, { headers: { authorization: `Bearer ${otherAccess}` } })).status, 401);

  // "Sign out the other sessions" ends every other one and keeps this one.
  const others = [await apiLogin(email, PASSWORD), await apiLogin(email, PASSWORD)];
  await page.goto(`${SPA}/sessions`);
  await page.waitForFunction(() => document.querySelectorAll("#sessions li.session").length === 3);
  assert.match(await page.textContent("#revoke-others"), /Sign out 2 other sessions/);
  await page.click("#revoke-others");
  await page.waitForSelector("#sessions-notice");
  assert.equal(await page.locator("#sessions li.session").count(), 1);
  for (const access of others) assert.equal((await fetch(`${authdUrl}/v1/me`, { headers: { authorization: `Bearer ${access}` } })).status, 401);
  assert.equal(await page.evaluate(() => window.authd.me().then((u) => u.email)), email);

  // Logout in one tab logs the other out, and the cookie is gone.
  await page.goto(`${SPA}/logout`);
  await page.waitForSelector("#logged-out");
  await checkPage(page, "logged-out");
  await page2.waitForSelector("body[data-auth=signed-out]");
  await page2.waitForURL(`${SPA}/login`);
  assert.equal((await context.cookies(authdUrl)).find((c) => c.name === COOKIE), undefined);
  await page2.reload();
  await page2.waitForSelector("body[data-ready=true]");
  assert.equal(await page2.getAttribute("body", "data-auth"), "signed-out");

  // Password reset: request, the link from the mail, the new password logs in.
  await page.goto(`${SPA}/forgot-password`);
  await checkPage(page, "forgot-password");
  await page.fill("#forgot input[name=email]", email);
  await page.click("#forgot button[type=submit]");
  await page.waitForSelector("#forgot-status.ok");
  const resetToken = await tokenFromMail(email, "/reset-password");
  await page.goto(`${SPA}/reset-password?token=${encodeURIComponent(resetToken)}`);
  await checkPage(page, "reset-password");
  const newPassword = "another-Horse-battery-7";
  await page.fill("#reset input[name=password]", newPassword);
  await page.click("#reset button[type=submit]");
  await page.waitForSelector("#reset-status.ok");
  await page.goto(`${SPA}/login`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#login input[name=email]", email);
  await page.fill("#login input[name=password]", newPassword);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#profile-email");

  assert.deepEqual([...errors, ...errors2], []);
  assert.deepEqual(context.cspViolations, []);
  await context.close();
});

/** The `.eml` files in the outbox now. */
async function outboxNames() {
  return existsSync(outbox) ? (await readdir(outbox)).filter((n) => n.endsWith(".eml")) : [];
}

/** The sign-in mail to `email` that is not among `seen`: its link and its code. */
async function emailLoginMail(email, seen) {
  for (let i = 0; i < 100; i++) {
    for (const name of (await outboxNames()).filter((n) => !seen.includes(n))) {
      const raw = await readFile(join(outbox, name), "utf8");
      const text = raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
      if (!text.toLowerCase().includes(email.toLowerCase())) continue;
      const link = text.match(/https?:\/\/[^\s"<>]*\/email-login#token=[A-Za-z0-9_-]+/);
      const code = text.split(/\r?\n/).map((l) => l.trim()).find((l) => /^\d{6}$/.test(l));
      if (link && code) return { link: link[0], code };
    }
    await sleep(100);
  }
  throw new Error(`no sign-in mail to ${email} in ${outbox}`);
}

/** Chromium's software authenticator (CDP) on `page`: a platform passkey with user verification. */
async function virtualAuthenticator(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials,
    add: (credential) => cdp.send("WebAuthn.addCredential", { authenticatorId, credential }),
    clear: () => cdp.send("WebAuthn.clearCredentials", { authenticatorId }),
  };
}

/** The signed-in user of `page` as authd sees it: /v1/me and /v1/me/mfa. */
async function account(page) {
  const access = await page.evaluate(() => window.authd.tokens?.access_token);
  assert.ok(access, "no access token in the page");
  const headers = { authorization: `Bearer ${access}` };
  const me = await fetch(`${authdUrl}/v1/me`, { headers });
  assert.equal(me.status, 200);
  const mfa = await fetch(`${authdUrl}/v1/me/mfa`, { headers });
  assert.equal(mfa.status, 200);
  return { me: await me.json(), factors: (await mfa.json()).factors };
}

test("passwordless: email sign-up by link and by code, a passkey, passkey sign-in", { timeout: 120_000 }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  const pageErrors = consoleErrors(page, [SIGNED_OUT_LOAD]);
  const email = `passkey-${Date.now()}@example.com`;

  // Sign up by email: the address, then "check your mail".
  await page.goto(`${SPA}/email-login`);
  await checkPage(page, "email-login");
  assert.equal(await page.getAttribute("#email-login input[name=email]", "autocomplete"), "username webauthn");
  assert.ok(await page.isVisible("#passkey-signin"));
  const seen = await outboxNames();
  await page.fill("#email-login input[name=email]", email);
  await page.click("#email-login button[type=submit]");
  await page.waitForSelector("#email-login-sent");
  assert.equal(await page.getAttribute("#email-code input[name=code]", "autocomplete"), "one-time-code");
  await checkPage(page, "email-login-sent");
  const mail = await emailLoginMail(email, seen);
  assert.ok(mail.link.startsWith(`${SPA}/email-login#token=`), mail.link);

  // A GET of the link (a mail scanner) spends nothing: the token is in the
  // fragment, which no request carries.
  const scanned = await fetch(mail.link);
  assert.equal(scanned.status, 200);

  // The link opens in a new tab; the SPA posts the fragment's token, then
  // the token is gone from the address bar and the history.
  const tab = await context.newPage();
  const tabErrors = consoleErrors(tab, [SIGNED_OUT_LOAD]);
  await tab.goto(mail.link);
  await tab.waitForSelector("#profile-email");
  assert.equal(await tab.textContent("#profile-email"), email);
  assert.equal(tab.url(), `${SPA}/profile`);
  assert.ok(!(await tab.evaluate(() => location.href)).includes("token"), "the token stayed in the address bar");
  // Back from the profile is the empty tab: no history entry holds the token.
  await tab.goBack();
  assert.ok(!tab.url().includes("token"), `the token is in a history entry: ${tab.url()}`);
  await tab.goForward();
  await tab.waitForSelector("#profile-email");
  assert.ok((await context.cookies(authdUrl)).some((c) => c.name === COOKIE), "no refresh cookie after the email sign-in");
  const signedUp = await account(tab);
  assert.equal(signedUp.me.email_verified, true);
  assert.deepEqual(signedUp.factors, []);
  // The account has no password: none logs in.
  const withPassword = await fetch(`${authdUrl}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(withPassword.status, 401);

  // Add a passkey on the security page (Chromium's virtual authenticator),
  // named after this device by default.
  const authenticator = await virtualAuthenticator(context, tab);
  await tab.goto(`${SPA}/security`);
  await checkPage(tab, "security-passwordless");
  assert.equal(await tab.locator("#passkeys li.passkey").count(), 0);
  assert.equal(await tab.inputValue("#add-passkey-form input[name=name]"), "Headless Chrome on Linux");
  await tab.click("#add-passkey");
  await tab.waitForSelector("#passkeys li.passkey");
  assert.equal(await tab.locator("#passkeys li.passkey").count(), 1);
  assert.equal(await tab.locator("#recovery-codes li").count(), 10);
  assert.match(await tab.textContent("#passkeys li.passkey"), /Headless Chrome on Linux.*Added just now · last used never/s);
  assert.match(await tab.textContent("#mfa-state"), /on \(1 factor\)/);
  await checkPage(tab, "security-passkey-added");
  const [credential] = await authenticator.credentials();
  assert.ok(credential?.isResidentCredential, "the passkey is not discoverable");
  const withPasskey = await account(tab);
  assert.deepEqual(withPasskey.factors.map((f) => f.type), ["passkey"]);

  // Sign out.
  await tab.goto(`${SPA}/logout`);
  await tab.waitForSelector("#logged-out");
  assert.equal((await context.cookies(authdUrl)).find((c) => c.name === COOKIE), undefined);
  await tab.close();
  await page.close();

  // Sign in with the passkey by the button, in a browser without
  // conditional mediation (so the autofill does not answer first).
  const buttonPage = await context.newPage();
  const buttonErrors = consoleErrors(buttonPage, [SIGNED_OUT_LOAD]);
  await buttonPage.addInitScript(() => {
    if (window.PublicKeyCredential) window.PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  const buttonAuthenticator = await virtualAuthenticator(context, buttonPage);
  await buttonAuthenticator.add(credential);
  await buttonPage.goto(`${SPA}/login`);
  await buttonPage.waitForSelector("body[data-ready=true]");
  assert.equal(await buttonPage.getAttribute("#login input[name=email]", "autocomplete"), "username webauthn");
  assert.equal(await buttonPage.getAttribute("#login input[name=password]", "autocomplete"), "current-password");
  await buttonPage.click("#passkey-signin");
  await buttonPage.waitForSelector("#profile-email");
  assert.equal(await buttonPage.textContent("#profile-email"), email);
  const byButton = await account(buttonPage);
  assert.equal(byButton.me.email, email);
  assert.deepEqual(byButton.factors.map((f) => f.type), ["passkey"]);
  const claims = JSON.parse(Buffer.from((await buttonPage.evaluate(() => window.authd.tokens.access_token)).split(".")[1], "base64url"));
  assert.equal(claims.aal, "aal2");

  // The passkey is a second factor now: a sign-in by mail asks for it.
  await buttonPage.goto(`${SPA}/logout`);
  await buttonPage.waitForSelector("#logged-out");
  await buttonPage.goto(`${SPA}/email-login`);
  await buttonPage.waitForSelector("body[data-ready=true]");
  const seenAgain = await outboxNames();
  await buttonPage.fill("#email-login input[name=email]", email);
  await buttonPage.click("#email-login button[type=submit]");
  await buttonPage.waitForSelector("#email-code");
  const again = await emailLoginMail(email, seenAgain);
  await buttonPage.fill("#email-code input[name=code]", again.code);
  await buttonPage.click("#email-code button[type=submit]");
  await buttonPage.waitForSelector("#mfa-passkey");
  await checkPage(buttonPage, "second-step-passkey");
  await buttonPage.click("#mfa-passkey");
  await buttonPage.waitForSelector("#profile-email");
  const twoSteps = JSON.parse(Buffer.from((await buttonPage.evaluate(() => window.authd.tokens.access_token)).split(".")[1], "base64url"));
  assert.deepEqual(twoSteps.amr.slice(0, 1), ["email"]);
  assert.equal(twoSteps.aal, "aal2");
  await buttonPage.goto(`${SPA}/logout`);
  await buttonPage.waitForSelector("#logged-out");
  // The passkey as it is now: its signature counter went up with each use,
  // and authd refuses a counter that goes back (a cloned authenticator).
  const [used] = await buttonAuthenticator.credentials();
  await buttonPage.close();

  // Conditional mediation: the passkey offered in the email field's autofill.
  const autofillPage = await context.newPage();
  const autofillErrors = consoleErrors(autofillPage, [SIGNED_OUT_LOAD]);
  await (await virtualAuthenticator(context, autofillPage)).add(used);
  await autofillPage.addInitScript(() => {
    const get = navigator.credentials.get.bind(navigator.credentials);
    window.__mediations = [];
    navigator.credentials.get = (options) => {
      window.__mediations.push(options?.mediation ?? "optional");
      return get(options);
    };
  });
  await autofillPage.goto(`${SPA}/email-login`);
  await autofillPage.waitForSelector("body[data-ready=true]");
  assert.equal(await autofillPage.evaluate(() => PublicKeyCredential.isConditionalMediationAvailable()), true);
  // Headless, Chromium's virtual authenticator answers the conditional
  // request by itself (no autofill menu to pick from): the page signs in
  // without a click.
  await autofillPage.waitForSelector("#profile-email", { timeout: 10_000 });
  assert.equal(await autofillPage.textContent("#profile-email"), email);
  assert.deepEqual(await autofillPage.evaluate(() => window.__mediations), ["conditional"]);
  await autofillPage.goto(`${SPA}/logout`);
  await autofillPage.waitForSelector("#logged-out");
  await autofillPage.close();

  assert.deepEqual([...pageErrors, ...tabErrors, ...buttonErrors, ...autofillErrors], []);
  assert.deepEqual(context.cspViolations, []);
  await context.close();
});

test("passwordless: sign-up by the mailed code on another device, wrong code shown", { timeout: 60_000 }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  const errors = consoleErrors(page, [SIGNED_OUT_LOAD, [400, "/v1/auth/email-login/verify"]]);
  const email = `code-${Date.now()}@example.com`;
  await page.goto(`${SPA}/email-login`);
  await page.waitForSelector("body[data-ready=true]");
  const seen = await outboxNames();
  await page.fill("#email-login input[name=email]", email);
  await page.click("#email-login button[type=submit]");
  await page.waitForSelector("#email-code");
  const { code, link } = await emailLoginMail(email, seen);

  // A wrong code: the user is told, from the problem code.
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
  await page.fill("#email-code input[name=code]", wrong);
  await page.click("#email-code button[type=submit]");
  await page.waitForSelector("#email-code-status.error");
  assert.equal(await page.getAttribute("#email-code-status", "data-code"), "invalid_code");
  assert.match(await page.textContent("#email-code-status"), /not right/);

  // The right one signs up and in.
  await page.fill("#email-code input[name=code]", code);
  await page.click("#email-code button[type=submit]");
  await page.waitForSelector("#profile-email");
  assert.equal(await page.textContent("#profile-email"), email);
  const { me, factors } = await account(page);
  assert.equal(me.email_verified, true);
  assert.deepEqual(factors, []);

  // Sign-in methods: password, email and passkeys as ways in; the
  // configured provider to link.
  await page.goto(`${SPA}/connections`);
  await checkPage(page, "connections-passwordless");
  assert.equal(await page.locator("#ways-in li.way").count(), 3);
  assert.match(await page.textContent("#way-passkey"), /None yet/);
  assert.equal(await page.locator("#link-providers button.link-provider").count(), 1);

  // The account has no password: it sets one without a current one.
  await page.goto(`${SPA}/security`);
  await page.waitForSelector("#password-change");
  await page.fill("#password-change input[name=new_password]", PASSWORD);
  await page.click("#password-change button[type=submit]");
  await page.waitForSelector("#password-change-status.ok");
  await apiLogin(email, PASSWORD);

  // The mail's link, spent with its code, opened on the other device: told so.
  const other = await newContext();
  const otherPage = await other.newPage();
  const otherErrors = consoleErrors(otherPage, [SIGNED_OUT_LOAD, [400, "/v1/auth/email-login/verify"]]);
  await otherPage.goto(link);
  await otherPage.waitForSelector("#email-link-status.error");
  assert.equal(await otherPage.getAttribute("#email-link-status", "data-code"), "invalid_token");
  assert.match(await otherPage.textContent("#email-link-status"), /used already|expired/);
  assert.equal(otherPage.url(), `${SPA}/email-login`);
  errors.push(...otherErrors);

  assert.deepEqual(errors, []);
  assert.deepEqual([...context.cspViolations, ...other.cspViolations], []);
  await other.close();
  await context.close();
});

/** Register by the page, verify by the mail, sign in by the page. */
async function signUpAndIn(page, email, password = PASSWORD) {
  await page.goto(`${SPA}/register`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#register input[name=email]", email);
  await page.fill("#register input[name=password]", password);
  await page.click("#register button[type=submit]");
  await page.waitForSelector("#register-status.ok");
  const token = await tokenFromMail(email, "/verify-email");
  await page.goto(`${SPA}/verify-email?token=${encodeURIComponent(token)}`);
  await page.waitForSelector("#verified.ok");
  await signIn(page, email, password);
}

async function signIn(page, email, password) {
  await page.goto(`${SPA}/login`);
  await page.waitForSelector("body[data-ready=true]");
  await page.fill("#login input[name=email]", email);
  await page.fill("#login input[name=password]", password);
  await page.click("#login button[type=submit]");
}

async function signOut(page) {
  await page.goto(`${SPA}/logout`);
  await page.waitForSelector("#logged-out");
}

test("account settings: profile and language, email change, password, authenticator app, recovery codes, passkeys, providers, activity", { timeout: 180_000 }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  // A blank new name for a factor is refused on purpose (422).
  const errors = consoleErrors(page, [SIGNED_OUT_LOAD, [422, "/v1/me/mfa/"]]);
  const email = `settings-${Date.now()}@example.com`;
  await signUpAndIn(page, email);
  await page.waitForSelector("#profile-email");

  // Name and mail language: PATCH /v1/me.
  await page.fill("#profile-form input[name=display_name]", "Grace Hopper");
  await page.selectOption("#profile-form select[name=locale]", "de");
  await page.click("#profile-form button[type=submit]");
  await page.waitForSelector("#profile-form-status.ok");
  assert.match(await page.textContent("#profile-form-status"), /Deutsch/);
  let me = (await account(page)).me;
  assert.equal(me.display_name, "Grace Hopper");
  assert.equal(me.locale, "de");
  await page.reload();
  await page.waitForSelector("#profile-email");
  assert.equal(await page.inputValue("#profile-form select[name=locale]"), "de");
  assert.equal(await page.textContent(".summary .name"), "Grace Hopper");

  // Email change: pending until the new address confirms. authd says so
  // (GET /v1/me/email): after a reload, and in a new tab, which shares
  // nothing with this one but the cookie; the tab keeps nothing of it.
  const newEmail = `changed-${Date.now()}@example.com`;
  assert.equal(await page.locator("#email-pending").count(), 0);
  await page.fill("#email-change input[name=new_email]", newEmail);
  await page.fill("#email-change input[name=password]", PASSWORD);
  await page.click("#email-change button[type=submit]");
  await page.waitForSelector("#email-change-status.ok");
  assert.match(await page.textContent("#email-pending"), new RegExp(`a link went to ${newEmail}`));
  await page.reload();
  await page.waitForSelector("#email-pending");
  assert.equal(await page.textContent("#profile-email"), email);
  assert.match(await page.textContent("#email-pending"), new RegExp(`a link went to ${newEmail}\\. .*the link expires (in \\d+ (minutes?|hours?|days?)|tomorrow)\\. Until then mail still goes to ${email}`));
  assert.ok(await page.getAttribute("#email-pending time", "datetime"));
  await checkPage(page, "profile-email-pending");
  const newTab = await context.newPage();
  errors.push(...consoleErrors(newTab, [SIGNED_OUT_LOAD]));
  await newTab.goto(`${SPA}/profile`);
  await newTab.waitForSelector("#email-pending");
  assert.match(await newTab.textContent("#email-pending"), new RegExp(`a link went to ${newEmail}`));
  for (const p of [page, newTab]) {
    const { local, session } = await scriptVisible(p);
    assert.ok(!`${local}${session}`.includes(newEmail), `the pending address is kept in the tab: ${local} ${session}`);
  }
  await newTab.close();
  const changeToken = await tokenFromMail(newEmail, "/confirm-email-change");
  await page.goto(`${SPA}/confirm-email-change?token=${encodeURIComponent(changeToken)}`);
  await page.waitForSelector("#email-change-status.ok");
  assert.ok(!page.url().includes("token"), "the token stayed in the address bar");
  await checkPage(page, "confirm-email-change");
  await page.goto(`${SPA}/profile`);
  await page.waitForSelector("#profile-email");
  assert.equal(await page.textContent("#profile-email"), newEmail);
  assert.equal(await page.locator("#email-pending").count(), 0);

  // Password change (other sessions end).
  const other = await apiLogin(newEmail, PASSWORD);
  const password = "changed-Horse-battery-5";
  await page.goto(`${SPA}/security`);
  await checkPage(page, "security");
  assert.match(await page.textContent("#mfa-state"), /off/);
  assert.equal(await page.locator("#recovery").count(), 0);
  await page.fill("#password-change input[name=current_password]", PASSWORD);
  await page.fill("#password-change input[name=new_password]", password);
  await page.click("#password-change button[type=submit]");
  await page.waitForSelector("#password-change-status.ok");
  assert.equal((await fetch(`${authdUrl}/v1/me`, { headers: { authorization: `Bearer ${other}` } })).status, 401);
  // The session was signed in by password longer ago than nothing: sign in
  // afresh (enrolment asks for a recent sign-in).
  await signOut(page);
  await signIn(page, newEmail, password);
  await page.waitForSelector("#profile-email");

  // An authenticator app: the QR code and the secret, then a code from it.
  await page.goto(`${SPA}/security`);
  await page.waitForSelector("#totp-start");
  await page.click("#totp-start");
  await page.waitForSelector("#totp-qr");
  const qr = await page.evaluate(() => {
    const img = document.querySelector("#totp-qr");
    return { src: img.src.slice(0, 22), width: img.naturalWidth, alt: img.alt };
  });
  assert.equal(qr.src, "data:image/gif;base64,");
  assert.ok(qr.width > 100, `QR image ${qr.width} px wide`);
  const secret = (await page.textContent("#totp-secret")).replace(/\s/g, "");
  assert.match(secret, /^[A-Z2-7]{16,}$/);
  await checkPage(page, "security-totp-setup");
  await page.fill("#totp-confirm input[name=code]", totp(secret));
  await page.click("#totp-confirm button[type=submit]");
  await page.waitForSelector("#recovery-codes li");
  const codes = await page.locator("#recovery-codes li").allTextContents();
  assert.equal(codes.length, 10);
  assert.match(await page.textContent("#mfa-state"), /on \(1 factor\)/);
  assert.equal(await page.locator("#totp-list li.totp").count(), 1);
  // Download: a text file with every code.
  const download = await page.getAttribute("#download-codes", "download");
  assert.equal(download, "recovery-codes.txt");
  const [saved] = await Promise.all([page.waitForEvent("download"), page.click("#download-codes")]);
  assert.equal(saved.suggestedFilename(), "recovery-codes.txt");
  const text = await readFile(await saved.path(), "utf8");
  for (const code of codes) assert.ok(text.includes(code), `${code} not in the download`);
  await checkPage(page, "security-recovery-codes");
  // The session is aal2 now (refreshed after the enrolment).
  const claims = JSON.parse(Buffer.from((await page.evaluate(() => window.authd.tokens.access_token)).split(".")[1], "base64url"));
  assert.equal(claims.aal, "aal2");

  // New recovery codes: the old ones stop working.
  await page.goto(`${SPA}/security`);
  await page.waitForSelector("#recovery-remaining");
  assert.equal(await page.textContent("#recovery-remaining"), "10");
  await page.click("#regenerate-codes");
  await page.waitForSelector("#recovery-codes li");
  const fresh = await page.locator("#recovery-codes li").allTextContents();
  assert.equal(fresh.length, 10);
  assert.deepEqual(fresh.filter((c) => codes.includes(c)), []);

  // A passkey with a name of its own, then removed.
  const authenticator = await virtualAuthenticator(context, page);
  await page.fill("#add-passkey-form input[name=name]", "Work laptop");
  await page.click("#add-passkey");
  await page.waitForSelector("#passkeys li.passkey");
  assert.match(await page.textContent("#passkeys li.passkey .item-title"), /^Work laptop$/);
  assert.equal(await page.locator("#recovery-codes").count(), 0, "recovery codes shown again for a second factor");
  assert.match(await page.textContent("#mfa-state"), /on \(2 factors\)/);
  await checkPage(page, "security-two-factors");

  // Rename the passkey in place: "Rename" gives a labelled input holding
  // the name, focused; Cancel changes nothing; a blank name is refused by
  // authd and told in the row; Save shows the new name, which a reload
  // (authd) keeps.
  const passkeyRow = page.locator("#passkeys li.passkey");
  await passkeyRow.locator("button.rename-factor").click();
  const nameInput = passkeyRow.locator("form.rename-form input[name=name]");
  assert.equal(await nameInput.inputValue(), "Work laptop");
  assert.ok(await nameInput.evaluate((el) => el === document.activeElement), "the name input is not focused");
  assert.equal(await passkeyRow.locator("button.rename-factor").isVisible(), false);
  await checkPage(page, "security-rename");
  await passkeyRow.locator("form.rename-form button", { hasText: "Cancel" }).click();
  assert.equal(await passkeyRow.locator("form.rename-form").count(), 0);
  assert.equal(await passkeyRow.locator(".item-title").textContent(), "Work laptop");
  await passkeyRow.locator("button.rename-factor").click();
  await nameInput.fill("   ");
  await passkeyRow.locator("form.rename-form button[type=submit]").click();
  await passkeyRow.locator(".status.error[data-code=validation_failed]").waitFor();
  await nameInput.fill("  Desk laptop ");
  await passkeyRow.locator("form.rename-form button[type=submit]").click();
  await page.waitForSelector("#security-notice:has-text('Renamed to “Desk laptop”')");
  assert.equal(await page.textContent("#passkeys li.passkey .item-title"), "Desk laptop");
  await page.reload();
  await page.waitForSelector("#passkeys li.passkey");
  assert.equal(await page.textContent("#passkeys li.passkey .item-title"), "Desk laptop");
  // The authenticator app too.
  await page.click("#totp-list li.totp button.rename-factor");
  await page.fill("#totp-list li.totp form.rename-form input[name=name]", "Phone");
  await page.press("#totp-list li.totp form.rename-form input[name=name]", "Enter");
  await page.waitForSelector("#security-notice:has-text('Renamed to “Phone”')");
  await page.reload();
  await page.waitForSelector("#totp-list li.totp");
  assert.equal(await page.textContent("#totp-list li.totp .item-title"), "Phone");
  const names = Object.fromEntries((await account(page)).factors.map((f) => [f.type, f.name]));
  assert.deepEqual(names, { totp: "Phone", passkey: "Desk laptop" });

  await page.click("#passkeys li.passkey button.remove-factor");
  await page.waitForSelector("#security-notice:has-text('Desk laptop removed')");
  assert.equal(await page.locator("#passkeys li.passkey").count(), 0);
  assert.deepEqual((await account(page)).factors.map((f) => f.type), ["totp"]);
  // Off the device too (else the sign-in page's autofill would offer it).
  await authenticator.clear();

  // Link the provider (its account "verified"), from the sign-in methods page.
  await page.goto(`${SPA}/connections`);
  await checkPage(page, "connections");
  assert.equal(await page.locator("#identities li.identity").count(), 0);
  await page.click("#link-providers button.link-provider");
  await page.waitForSelector("#connections-notice");
  assert.equal(page.url(), `${SPA}/connections`);
  assert.equal(await page.locator("#identities li.identity").count(), 1);
  assert.match(await page.textContent("#identities li.identity"), /verified@example\.test/);
  await checkPage(page, "connections-linked");

  // Signed out, the provider signs in; the account's authenticator app
  // asks for the second step (a recovery code here: the app's code of this
  // 30 s window was spent).
  await signOut(page);
  await page.goto(`${SPA}/login`);
  await page.waitForSelector("#providers button");
  await page.click("#providers button");
  await page.waitForSelector("#mfa-code");
  await checkPage(page, "second-step");
  await page.click("details.recovery summary");
  await page.fill("#mfa-recovery input[name=recovery]", fresh[0]);
  await page.click("#mfa-recovery button[type=submit]");
  await page.waitForSelector("#profile-email");
  assert.equal(await page.textContent("#profile-email"), newEmail);
  const fed = JSON.parse(Buffer.from((await page.evaluate(() => window.authd.tokens.access_token)).split(".")[1], "base64url"));
  assert.ok(fed.amr.includes("fed"), `amr ${fed.amr}`);
  assert.ok(!page.url().includes("code="), "the provider's code stayed in the address bar");

  // Unlink it: the password stays as the way in.
  await page.goto(`${SPA}/connections`);
  await page.waitForSelector("#identities li.identity");
  await page.click("#identities li.identity button.unlink");
  await page.waitForSelector("#connections-notice");
  assert.equal(await page.locator("#identities li.identity").count(), 0);

  // Activity: what happened, in words, with the device.
  await page.goto(`${SPA}/activity`);
  await page.waitForSelector("#events tr.event");
  await checkPage(page, "activity");
  const events = await page.locator("#events tbody th").allTextContents();
  for (const what of ["Signed in", "Password changed", "Second factor added", "Sign-in provider linked", "Sign-in provider unlinked", "Email address changed"]) {
    assert.ok(events.some((e) => e.startsWith(what)), `no "${what}" in ${JSON.stringify(events)}`);
  }
  assert.ok((await page.locator("#events tbody td").allTextContents()).some((t) => t.includes("Headless Chrome on Linux")));

  // The "address changed" notice to the old address undoes the change:
  // the old address is back and every session ends.
  const revertToken = await tokenFromMail(email, "/revert-email-change");
  await page.goto(`${SPA}/revert-email-change?token=${encodeURIComponent(revertToken)}`);
  await page.waitForSelector("#email-change-status.ok");
  assert.match(await page.textContent("#email-change-status"), new RegExp(`${email} is back`));
  await checkPage(page, "revert-email-change");
  assert.equal((await fetch(`${authdUrl}/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: newEmail, password }),
  })).status, 401);

  assert.deepEqual(errors, []);
  assert.deepEqual(context.cspViolations, []);
  await context.close();
});

test("the pages on a phone and in dark mode", { timeout: 60_000 }, async () => {
  const phone = await newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const dark = await newContext({ colorScheme: "dark" });
  const email = `phone-${Date.now()}@example.com`;
  const page = await phone.newPage();
  const errors = consoleErrors(page, [SIGNED_OUT_LOAD]);
  await page.goto(`${SPA}/login`);
  await checkPage(page, "phone-login", { shot: false });
  // Nothing is wider than the phone (else: the elements that stick out).
  const overflow = () =>
    page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth <= width) return 0;
      return [...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > width + 1)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${el.className}: ${Math.round(el.getBoundingClientRect().right)}`)
        .slice(0, 8);
    });
  assert.equal(await overflow(), 0);
  await signUpAndIn(page, email);
  await page.waitForSelector("#profile-email");
  for (const path of ["/profile", "/security", "/sessions"]) {
    await page.goto(`${SPA}${path}`);
    await checkPage(page, `phone-${path.slice(1)}`, { shot: path === "/profile" });
    assert.equal(await overflow(), 0, `${path} scrolls sideways on a phone`);
  }

  const darkPage = await dark.newPage();
  errors.push(...consoleErrors(darkPage, [SIGNED_OUT_LOAD]));
  await darkPage.goto(`${SPA}/login`);
  await checkPage(darkPage, "dark-login", { shot: false });
  // The dark scheme is in use: a dark background.
  const background = await darkPage.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, "rgb(17, 20, 24)");
  await signIn(darkPage, email, PASSWORD);
  await darkPage.waitForSelector("#profile-email");
  await darkPage.goto(`${SPA}/security`);
  await checkPage(darkPage, "dark-security");

  assert.deepEqual(errors, []);
  assert.deepEqual([...phone.cspViolations, ...dark.cspViolations], []);
  await phone.close();
  await dark.close();
});

test("the Content-Security-Policy is strict and enforced", { timeout: 30_000 }, async () => {
  const context = await newContext();
  const page = await context.newPage();
  await page.goto(`${SPA}/login`);
  await page.waitForSelector("body[data-ready=true]");
  const policy = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
  const directives = Object.fromEntries(policy.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(" ")]));
  assert.deepEqual(directives, {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": `'self' ${authdUrl}`,
    "base-uri": "'none'",
    "form-action": "'self'",
    "object-src": "'none'",
  });
  assert.deepEqual(context.cspViolations, [], "the page itself broke its CSP");

  // Enforced: an inline script, an inline style, a fetch to another origin
  // and an image from one are each refused and reported.
  const outcome = await page.evaluate(async () => {
    const script = document.createElement("script");
    script.textContent = "window.__inlineRan = true";
    document.body.append(script);
    const el = document.createElement("p");
    el.setAttribute("style", "color: red");
    document.body.append(el);
    const styled = getComputedStyle(el).color === "rgb(255, 0, 0)";
    let fetched = true;
    try {
      await fetch("http://127.0.0.1:9/elsewhere");
    } catch {
      fetched = false;
    }
    await new Promise((r) => setTimeout(r, 200));
    return { inline: window.__inlineRan === true, styled, fetched };
  });
  assert.deepEqual(outcome, { inline: false, styled: false, fetched: false });
  await page.waitForFunction(() => true);
  const seen = context.cspViolations.map((v) => v.split(" ")[0]).sort();
  assert.deepEqual([...new Set(seen)], ["connect-src", "script-src-elem", "style-src-attr"]);
  await context.close();
});
