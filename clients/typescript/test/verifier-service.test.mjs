// examples/verifier-service.mjs as an integrator runs it: one line
// `listening <port>`, GET /check and GET /status, a logout refused within 1 s.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";

import { AuthdClient } from "@authd/client";
import { PASSWORD, baseUrl, newVerifiedUser } from "./support.mjs";
import { decodeClaims, until } from "./verifier-support.mjs";

const example = fileURLToPath(new URL("../examples/verifier-service.mjs", import.meta.url));
const serviceKey = process.env.AUTHD_SERVICE_KEY;
const skip = !serviceKey
  ? "AUTHD_SERVICE_KEY is not set: start authd with AUTH_SERVICE_KEYS=name:<key> and export AUTHD_SERVICE_KEY=<key>"
  : !existsSync(example)
    ? `${example} is missing (clients/check.sh copies examples/ beside test/)`
    : false;
if (skip) it("examples/verifier-service.mjs", { skip }, () => {});

describe("examples/verifier-service.mjs", { skip: Boolean(skip) }, () => {
  let child;
  let service;
  let email;
  let issuer;

  before(async () => {
    email = await newVerifiedUser(new AuthdClient({ baseUrl: baseUrl() }), "verifier-svc");
    const probe = await new AuthdClient({ baseUrl: baseUrl() }).login(email, PASSWORD);
    issuer = process.env.AUTHD_ISSUER ?? decodeClaims(probe.access_token).iss;
    child = spawn(process.execPath, [example], {
      env: { ...process.env, AUTHD_URL: baseUrl(), AUTHD_ISSUER: issuer, AUTHD_SERVICE_KEY: serviceKey, PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise((resolve, reject) => {
      lines.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`the service exited (${code}) before listening`)));
    });
    child.stdout.on("data", (more) => assert.fail(`a second line on stdout: ${more}`));
    const match = /^listening (\d+)$/.exec(first);
    assert.ok(match, `first line: ${JSON.stringify(first)}`);
    assert.notEqual(match[1], "0");
    service = `http://127.0.0.1:${match[1]}`;
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  });

  const check = async (token) => {
    const res = await fetch(`${service}/check`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: await res.json() };
  };

  it("answers /check with sub and sid, then 401 revoked within 1 s of the logout", async () => {
    const client = new AuthdClient({ baseUrl: baseUrl() });
    const pair = await client.login(email, PASSWORD);
    const claims = decodeClaims(pair.access_token);
    assert.deepEqual(await check(pair.access_token), { status: 200, body: { sub: claims.sub, sid: claims.sid } });
    await client.logout();
    const since = performance.now();
    await until(async () => (await check(pair.access_token)).status === 401, "the refusal", 3000);
    const elapsed = performance.now() - since;
    assert.ok(elapsed < 1000, `refused after ${elapsed} ms`);
    assert.deepEqual(await check(pair.access_token), { status: 401, body: { error: "revoked" } });
  });

  it("answers 401 with the reason for no token and for a refresh token", async () => {
    assert.deepEqual(await check(null), { status: 401, body: { error: "malformed" } });
    const pair = await new AuthdClient({ baseUrl: baseUrl() }).login(email, PASSWORD);
    assert.deepEqual(await check(pair.refresh_token), { status: 401, body: { error: "wrong_type" } });
  });

  it("answers /status with the feed live", async () => {
    const res = await fetch(`${service}/status`);
    assert.equal(res.status, 200);
    const status = await res.json();
    assert.equal(status.state, "live");
    assert.equal(status.ready, true);
    assert.equal(typeof status.revokedSessions, "number");
  });
});
