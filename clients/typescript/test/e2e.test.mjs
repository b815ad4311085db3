// End-to-end flow through the TypeScript SDK against a running authd.
//   AUTHD_URL=http://127.0.0.1:8080 AUTHD_OUTBOX_DIR=./data/outbox npm run test:e2e
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { AuthdClient, AuthdError } from "@authd/client";
import { PASSWORD, baseUrl, rawMeStatus, uniqueEmail, waitForVerificationToken } from "./support.mjs";

describe("authd e2e: register → verify → login → me → refresh → logout", () => {
  const email = uniqueEmail("flow");
  let client;
  let firstPair;
  let user;

  it("answers /healthz and /readyz through the typed raw client", async () => {
    client = new AuthdClient({ baseUrl: baseUrl() });
    const health = await client.api.GET("/healthz");
    assert.equal(health.response.status, 200);
    assert.deepEqual(health.data, { status: "ok" });
    const ready = await client.api.GET("/readyz");
    assert.equal(ready.response.status, 200);
    assert.equal(ready.data?.status, "ok");
  });

  it("register answers 202 verification_sent", async () => {
    const accepted = await client.register(email, PASSWORD);
    assert.deepEqual(accepted, { status: "verification_sent" });
  });

  it("login before verification is 403 email_not_verified", async () => {
    await assert.rejects(client.login(email, PASSWORD), (err) => {
      assert.ok(err instanceof AuthdError);
      assert.equal(err.status, 403);
      assert.equal(err.code, "email_not_verified");
      return true;
    });
    assert.equal(client.tokens, null);
  });

  it("verify-email with the mailed token returns the verified user", async () => {
    const token = await waitForVerificationToken(email);
    user = await client.verifyEmail(token);
    assert.equal(user.email, email);
    assert.equal(user.email_verified, true);
    assert.deepEqual(user.roles, ["viewer"]);
  });

  it("login returns a token pair and keeps it", async () => {
    firstPair = await client.login(email, PASSWORD);
    assert.equal(firstPair.token_type, "Bearer");
    assert.ok(firstPair.access_token.split(".").length === 3, "access token is a JWT");
    assert.ok(firstPair.refresh_token.split(".").length === 3, "refresh token is a JWT");
    assert.ok(firstPair.expires_in > 0);
    assert.ok(firstPair.refresh_expires_in > firstPair.expires_in);
    assert.equal(firstPair.user.id, user.id);
    assert.equal(client.tokens, firstPair);
  });

  it("me returns the logged-in user", async () => {
    const me = await client.me();
    assert.equal(me.id, user.id);
    assert.equal(me.email, email);
    assert.equal(me.email_verified, true);
    assert.equal(typeof me.created_at, "string");
  });

  it("updateMe changes the locale and refuses an invalid tag", async () => {
    const changed = await client.updateMe({ locale: "de-AT" });
    assert.equal(changed.locale, "de-AT");
    assert.equal((await client.me()).locale, "de-AT");
    await assert.rejects(client.updateMe({ locale: "not a tag" }), (err) => {
      assert.ok(err instanceof AuthdError);
      assert.equal(err.status, 422);
      return true;
    });
  });

  it("refresh rotates the pair", async () => {
    const pair = await client.refresh();
    assert.notEqual(pair.refresh_token, firstPair.refresh_token);
    assert.equal(pair.user.id, user.id);
    assert.equal(client.tokens, pair);
    assert.equal((await client.me()).id, user.id);
  });

  it("logout answers 204, forgets the pair, and the old access token gets 401", async () => {
    const access = client.tokens.access_token;
    await client.logout();
    assert.equal(client.tokens, null);
    assert.equal(await rawMeStatus(access), 401);
    assert.equal(await rawMeStatus(firstPair.access_token), 401);
    await assert.rejects(client.me(), (err) => {
      assert.ok(err instanceof AuthdError);
      assert.equal(err.status, 401);
      assert.equal(err.code, "unauthorized");
      return true;
    });
  });
});
