// register → verify (the link from the outbox) → login (with the MFA step if
// the account has one) → me → refresh → logout, with AuthdClient.
//
//   (cd clients/typescript && npm pack)          # → authd-client-<version>.tgz
//   npm install /path/to/authd-client-<version>.tgz
//   cargo run --release -- serve                  # in another terminal, from the repository
//   node quickstart.mjs
//
// AUTHD_URL (default http://127.0.0.1:8080) and AUTHD_OUTBOX_DIR (default
// ./data/outbox, where `serve` writes its mail without SMTP) say where authd is.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { AuthdClient, AuthdError, MfaRequiredError } from "@authd/client";

const URL = process.env.AUTHD_URL ?? "http://127.0.0.1:8080";
const OUTBOX = process.env.AUTHD_OUTBOX_DIR ?? "data/outbox";
const EMAIL = `ada-${crypto.randomUUID().slice(0, 8)}@example.com`;
const PASSWORD = "correct-Horse-battery-9";

/** The token of the verification mail to `address` (a link in its text). */
async function verificationToken(address, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let names = [];
    try {
      names = readdirSync(OUTBOX).filter((n) => n.endsWith(".eml")).sort().reverse();
    } catch {}
    for (const name of names) {
      const text = readFileSync(join(OUTBOX, name), "utf8");
      const match = text.match(/verify-email\?token=([\w.~%-]+)/);
      if (text.includes(`To: ${address}`) && match) return match[1];
    }
    await sleep(200);
  }
  throw new Error(`no verification mail to ${address} in ${OUTBOX}`);
}

const authd = new AuthdClient({ baseUrl: URL, onTokens: (t) => console.log("tokens:", t ? "new pair" : "forgotten") });
try {
  console.log("register:", (await authd.register(EMAIL, PASSWORD, "Ada")).status);
  console.log("verified:", (await authd.verifyEmail(await verificationToken(EMAIL))).email);
  try {
    await authd.login(EMAIL, "not-the-password");
  } catch (e) {
    if (!(e instanceof AuthdError) || e.code !== "invalid_credentials") throw e;
    console.log("wrong password:", e.status, e.code);
  }
  try {
    await authd.login(EMAIL, PASSWORD);
  } catch (e) {
    if (!(e instanceof MfaRequiredError)) throw e;
    // Only for an account with a second factor: ask for the code.
    await authd.verifyMfa(e.mfaToken, { code: process.env.AUTHD_TOTP_CODE ?? "" });
  }
  const me = await authd.me(); // a 401 token_expired refreshes the pair once and retries
  console.log("me:", me.email, me.roles);
  console.log("refresh: expires in", (await authd.refresh()).expires_in, "s");
  await authd.logout();
} catch (e) {
  console.error(`authd: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
