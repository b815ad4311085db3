// A login with a second factor through the SDK: MfaRequiredError, then verifyMfa.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";

import { AuthdClient, AuthdError, MfaRequiredError } from "@authd/client";
import { PASSWORD, baseUrl, uniqueEmail, waitForVerificationToken } from "./support.mjs";

/** RFC 6238 (SHA-1, 6 digits, 30 s) for the step `offset` steps from now. */
function totp(base32Secret, offset = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of base32Secret.replace(/=+$/, "").toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + offset));
  const mac = createHmac("sha1", key).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}

describe("authd e2e: login with TOTP", () => {
  it("login throws MfaRequiredError; verifyMfa finishes with aal2", async () => {
    const email = uniqueEmail("mfa");
    const client = new AuthdClient({ baseUrl: baseUrl() });
    await client.register(email, PASSWORD);
    await client.verifyEmail(await waitForVerificationToken(email));
    const first = await client.login(email, PASSWORD);
    const headers = { Authorization: `Bearer ${first.access_token}` };

    const enrolled = await client.api.POST("/v1/me/mfa/totp", { headers });
    assert.equal(enrolled.response.status, 200);
    const { factor_id, secret } = enrolled.data;
    const confirmed = await client.api.POST("/v1/me/mfa/totp/{factor_id}/confirm", {
      headers,
      params: { path: { factor_id } },
      body: { code: totp(secret) },
    });
    assert.equal(confirmed.response.status, 200);
    assert.equal(confirmed.data.recovery_codes.length, 10);

    const second = new AuthdClient({ baseUrl: baseUrl() });
    const challenge = await second.login(email, PASSWORD).then(
      () => assert.fail("login must ask for the second factor"),
      (err) => err,
    );
    assert.ok(challenge instanceof MfaRequiredError);
    assert.equal(challenge.factors[0].type, "totp");
    assert.equal(second.tokens, null);

    await assert.rejects(second.verifyMfa(challenge.mfaToken, { code: "000000" === totp(secret) ? "111111" : "000000" }), (err) => {
      assert.ok(err instanceof AuthdError);
      assert.equal(err.code, "invalid_mfa_code");
      return true;
    });
    // The confirming code spent this time step: the next one is accepted.
    const pair = await second.verifyMfa(challenge.mfaToken, { code: totp(secret, 1) });
    const claims = JSON.parse(Buffer.from(pair.access_token.split(".")[1], "base64url"));
    assert.equal(claims.aal, "aal2");
    assert.equal(second.tokens, pair);

    const again = new AuthdClient({ baseUrl: baseUrl() });
    const next = await again.login(email, PASSWORD).catch((err) => err);
    const recovered = await again.verifyMfa(next.mfaToken, {
      recoveryCode: confirmed.data.recovery_codes[0],
    });
    assert.equal(recovered.user.email, email);
  });
});
