// The wrapper's refresh-once-and-retry-once behaviour, against a running authd.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { AuthdClient, AuthdError } from "../dist/authd.js";
import { PASSWORD, baseUrl, newVerifiedUser, rawMeStatus, recordingFetch } from "./support.mjs";

/** A pair whose access token the server rejects (bad signature), refresh token intact. */
function withBrokenAccessToken(pair) {
  const [header, payload] = pair.access_token.split(".");
  return { ...pair, access_token: `${header}.${payload}.AAAA` };
}

describe("AuthdClient refresh on 401", () => {
  it("me() with an invalid access token refreshes once and retries once", async () => {
    const rec = recordingFetch();
    const client = new AuthdClient({ baseUrl: baseUrl(), fetch: rec.fetch });
    const email = await newVerifiedUser(client, "retry");
    const pair = await client.login(email, PASSWORD);

    const broken = withBrokenAccessToken(pair);
    assert.equal(await rawMeStatus(broken.access_token), 401, "the broken token is really rejected");
    client.setTokens(broken);
    rec.calls.length = 0;

    const me = await client.me();
    assert.equal(me.email, email);
    assert.deepEqual(rec.calls, ["GET /v1/me", "POST /v1/auth/refresh", "GET /v1/me"]);
    assert.notEqual(client.tokens.access_token, broken.access_token);
    assert.notEqual(client.tokens.refresh_token, pair.refresh_token, "the refresh token rotated");
    await client.logout();
  });

  it("concurrent 401s share one refresh", async () => {
    const rec = recordingFetch();
    const client = new AuthdClient({ baseUrl: baseUrl(), fetch: rec.fetch });
    const email = await newVerifiedUser(client, "concurrent");
    client.setTokens(withBrokenAccessToken(await client.login(email, PASSWORD)));
    rec.calls.length = 0;

    const users = await Promise.all([client.me(), client.me(), client.me()]);
    assert.ok(users.every((u) => u.email === email));
    assert.equal(rec.calls.filter((c) => c === "POST /v1/auth/refresh").length, 1);
    await client.logout();
  });

  it("does not loop when the session is revoked: one refresh, then the 401 surfaces", async () => {
    const rec = recordingFetch();
    const client = new AuthdClient({ baseUrl: baseUrl(), fetch: rec.fetch });
    const email = await newVerifiedUser(client, "revoked");
    const pair = await client.login(email, PASSWORD);
    await client.logout();

    client.setTokens(pair); // a stale pair of the revoked session
    rec.calls.length = 0;
    await assert.rejects(client.me(), (err) => {
      assert.ok(err instanceof AuthdError);
      assert.equal(err.status, 401);
      return true;
    });
    assert.deepEqual(rec.calls, ["GET /v1/me", "POST /v1/auth/refresh"]);
    assert.equal(client.tokens, null, "a refused refresh forgets the pair");
  });

  it("login is never retried: a wrong password is one request and 401 invalid_credentials", async () => {
    const rec = recordingFetch();
    const client = new AuthdClient({ baseUrl: baseUrl(), fetch: rec.fetch });
    const email = await newVerifiedUser(client, "badpw");
    rec.calls.length = 0;
    await assert.rejects(client.login(email, "wrong-Password-42!"), (err) => {
      assert.ok(err instanceof AuthdError);
      assert.equal(err.status, 401);
      assert.equal(err.code, "invalid_credentials");
      return true;
    });
    assert.deepEqual(rec.calls, ["POST /v1/auth/login"]);
  });

  it("refresh is never retried: a refused refresh is one request", async () => {
    const rec = recordingFetch();
    const client = new AuthdClient({ baseUrl: baseUrl(), fetch: rec.fetch });
    const email = await newVerifiedUser(client, "badrefresh");
    const pair = await client.login(email, PASSWORD);
    client.setTokens({ ...pair, refresh_token: pair.access_token }); // an access token is no refresh token
    rec.calls.length = 0;
    await assert.rejects(client.refresh(), (err) => err instanceof AuthdError && err.status === 401);
    assert.deepEqual(rec.calls, ["POST /v1/auth/refresh"]);
  });
});
