// Helpers shared by the end-to-end tests (not a test file itself).
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const PASSWORD = "correct-Horse-battery-9";

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: the e2e tests need a running authd (see clients/README.md)`);
  }
  return value;
}

export const baseUrl = () => requiredEnv("AUTHD_URL");
export const outboxDir = () => requiredEnv("AUTHD_OUTBOX_DIR");

/** A fresh address per call, so runs against a long-lived server never collide. */
export function uniqueEmail(tag) {
  const rand = Math.random().toString(36).slice(2, 10);
  return `ts-${tag}-${Date.now()}-${rand}@example.com`;
}

/** Header block of an RFC 5322 message, folded lines joined, names lower-cased. */
function headers(message) {
  const end = message.search(/\r?\n\r?\n/);
  const block = (end < 0 ? message : message.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  const out = new Map();
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!out.has(name)) out.set(name, line.slice(colon + 1).trim());
    }
  }
  return out;
}

/** Addresses of a `To:` header: `a@x`, `<a@x>`, `Name <a@x>`, comma lists. */
function recipients(value) {
  return value.split(",").map((part) => {
    const angle = part.match(/<([^>]+)>/);
    return (angle ? angle[1] : part).trim().toLowerCase();
  });
}

/** The verification token in the text/plain part (the first part that has one). */
function verificationToken(message) {
  const plain = message.search(/content-type:\s*text\/plain/i);
  const text = plain >= 0 ? message.slice(plain) : message;
  const match = text.match(/\/verify-email\?token=([A-Za-z0-9._~%-]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

/**
 * Poll the outbox folder until a verification mail for `email` shows up and
 * return its token (from the newest such mail). Files are written atomically
 * as `<timestamp>-<id>.eml`, so a name sort is a time sort.
 */
export async function waitForVerificationToken(email, { timeoutMs = 15_000 } = {}) {
  const dir = outboxDir();
  const want = email.trim().toLowerCase();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let names = [];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith(".eml")).sort().reverse();
    } catch (err) {
      if (err.code !== "ENOENT") throw err;
    }
    for (const name of names) {
      let message;
      try {
        message = await readFile(join(dir, name), "utf8");
      } catch (err) {
        if (err.code === "ENOENT") continue; // cleaned up meanwhile
        throw err;
      }
      const to = headers(message).get("to");
      if (!to || !recipients(to).includes(want)) continue;
      const token = verificationToken(message);
      if (token) return token;
    }
    if (Date.now() > deadline) {
      throw new Error(`no verification mail for ${email} in ${dir} after ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}

/** A fetch that records `METHOD path` of every request it sends. */
export function recordingFetch() {
  const calls = [];
  const fetchFn = (request) => {
    calls.push(`${request.method} ${new URL(request.url).pathname}`);
    return fetch(request);
  };
  return { calls, fetch: fetchFn };
}

/** Register, verify and log in a new user with `client`; returns its email. */
export async function newVerifiedUser(client, tag) {
  const email = uniqueEmail(tag);
  await client.register(email, PASSWORD);
  await client.verifyEmail(await waitForVerificationToken(email));
  return email;
}

/** GET /v1/me with a raw bearer token, bypassing the wrapper's retry. */
export async function rawMeStatus(accessToken) {
  const res = await fetch(`${baseUrl().replace(/\/+$/, "")}/v1/me`, {
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Poll the outbox until a mail to `email` whose text/plain part matches
 * `pattern` shows up (the newest such mail, not one of the file names in
 * `skip`); return the match, with the mail's file name as `file`.
 */
export async function waitForMailMatching(email, pattern, { timeoutMs = 15_000, skip = new Set() } = {}) {
  const dir = outboxDir();
  const want = email.trim().toLowerCase();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let names = [];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith(".eml")).sort().reverse();
    } catch (err) {
      if (err.code !== "ENOENT") throw err;
    }
    for (const name of names) {
      if (skip.has(name)) continue;
      let message;
      try {
        message = await readFile(join(dir, name), "utf8");
      } catch (err) {
        if (err.code === "ENOENT") continue;
        throw err;
      }
      const to = headers(message).get("to");
      if (!to || !recipients(to).includes(want)) continue;
      const plain = message.search(/content-type:\s*text\/plain/i);
      const match = (plain >= 0 ? message.slice(plain) : message).match(pattern);
      if (match) return Object.assign(match, { file: name });
    }
    if (Date.now() > deadline) {
      throw new Error(`no mail matching ${pattern} for ${email} in ${dir} after ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}
