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

/**
 * Console errors and uncaught exceptions of `page`. Chromium logs every
 * answer >= 400 as a console error; `expected` lists the ones the test
 * causes on purpose, as [status, path] (a signed-out page load refreshes:
 * 401 from /v1/auth/refresh).
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

const SIGNED_OUT_LOAD = [401, "/v1/auth/refresh"];

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
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors = consoleErrors(page, [SIGNED_OUT_LOAD]);
  const email = `passkey-${Date.now()}@example.com`;

  // Sign up by email: the address, then "check your mail".
  await page.goto(`${SPA}/email-login`);
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(await page.getAttribute("#email-login input[name=email]", "autocomplete"), "username webauthn");
  assert.ok(await page.isVisible("#passkey-signin"));
  const seen = await outboxNames();
  await page.fill("#email-login input[name=email]", email);
  await page.click("#email-login button");
  await page.waitForSelector("#email-login-sent");
  assert.equal(await page.getAttribute("#email-code input[name=code]", "autocomplete"), "one-time-code");
  await page.screenshot({ path: join(SCREENSHOTS, "email-login-sent.png") });
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

  // Add a passkey on the account page (Chromium's virtual authenticator).
  const authenticator = await virtualAuthenticator(context, tab);
  await tab.click("#add-passkey");
  await tab.waitForSelector("#passkeys li.passkey");
  assert.equal(await tab.locator("#passkeys li.passkey").count(), 1);
  assert.equal(await tab.locator("#recovery-codes li").count(), 10);
  await tab.screenshot({ path: join(SCREENSHOTS, "passkey-added.png") });
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
  await buttonPage.click("#email-login button");
  await buttonPage.waitForSelector("#email-code");
  const again = await emailLoginMail(email, seenAgain);
  await buttonPage.fill("#email-code input[name=code]", again.code);
  await buttonPage.click("#email-code button");
  await buttonPage.waitForSelector("#mfa-passkey");
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
  await context.close();
});

test("passwordless: sign-up by the mailed code on another device, wrong code shown", { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = consoleErrors(page, [SIGNED_OUT_LOAD, [400, "/v1/auth/email-login/verify"]]);
  const email = `code-${Date.now()}@example.com`;
  await page.goto(`${SPA}/email-login`);
  await page.waitForSelector("body[data-ready=true]");
  const seen = await outboxNames();
  await page.fill("#email-login input[name=email]", email);
  await page.click("#email-login button");
  await page.waitForSelector("#email-code");
  const { code, link } = await emailLoginMail(email, seen);

  // A wrong code: the user is told, from the problem code.
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
  await page.fill("#email-code input[name=code]", wrong);
  await page.click("#email-code button");
  await page.waitForSelector("#email-code-status.error");
  assert.equal(await page.getAttribute("#email-code-status", "data-code"), "invalid_code");
  assert.match(await page.textContent("#email-code-status"), /not right/);

  // The right one signs up and in.
  await page.fill("#email-code input[name=code]", code);
  await page.click("#email-code button");
  await page.waitForSelector("#profile-email");
  assert.equal(await page.textContent("#profile-email"), email);
  const { me, factors } = await account(page);
  assert.equal(me.email_verified, true);
  assert.deepEqual(factors, []);

  // The mail's link, spent with its code, opened on the other device: told so.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  const otherErrors = consoleErrors(otherPage, [SIGNED_OUT_LOAD, [400, "/v1/auth/email-login/verify"]]);
  await otherPage.goto(link);
  await otherPage.waitForSelector("#email-link-status.error");
  assert.equal(await otherPage.getAttribute("#email-link-status", "data-code"), "invalid_token");
  assert.match(await otherPage.textContent("#email-link-status"), /used already|expired/);
  assert.equal(otherPage.url(), `${SPA}/email-login`);
  await other.close();
  errors.push(...otherErrors);

  assert.deepEqual(errors, []);
  await context.close();
});
