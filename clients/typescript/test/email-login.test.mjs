// Passwordless sign-in by email through the SDK (API.md §15): sign-up by
// the mailed link, then sign-in by the mailed code.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { AuthdClient } from "@authd/client";
import { baseUrl, uniqueEmail, waitForMailMatching } from "./support.mjs";

const LINK = /\/email-login#token=([A-Za-z0-9_-]+)/;
const CODE = /enter this code:\s+(\d{6})\b/;

describe("authd e2e: email sign-in (link, then code)", () => {
  const email = uniqueEmail("email-login");
  const seen = new Set();

  it("signs up by the link: a verified account with no password", async () => {
    const client = new AuthdClient({ baseUrl: baseUrl() });
    assert.deepEqual(await client.startEmailLogin(email), { status: "email_sent" });
    const link = await waitForMailMatching(email, LINK);
    seen.add(link.file);
    const token = link[1];
    const pair = await client.verifyEmailLogin({ token });
    assert.equal(pair.user.email, email);
    assert.equal(pair.user.email_verified, true);
    const claims = JSON.parse(Buffer.from(pair.access_token.split(".")[1], "base64url"));
    assert.deepEqual(claims.amr, ["email"]);
    assert.equal((await client.me()).email, email);
    // The link is single use.
    await assert.rejects(client.verifyEmailLogin({ token }), (err) => err.code === "invalid_token");
  });

  it("signs in by the code typed on another device", async () => {
    const client = new AuthdClient({ baseUrl: baseUrl() });
    await client.startEmailLogin(email);
    // The new mail, not the first one (whose pair the link spent).
    const [, code] = await waitForMailMatching(email, CODE, { skip: seen });
    const pair = await client.verifyEmailLogin({ email, code });
    assert.equal(pair.user.email, email);
  });
});
