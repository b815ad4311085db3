// The verifier's parts that need no server: the SSE parser and the
// revocation rule (API.md §18).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { RevocationSet, readSse, uuidV7Millis } from "@authd/client";
import { uuidV7 } from "./verifier-support.mjs";

/** A body that delivers `chunks` one read at a time. */
function body(chunks) {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

describe("readSse", () => {
  it("parses events split anywhere, with CRLF, CR and LF line ends, comments and multi-line data", async () => {
    const events = [];
    const comments = [];
    const text =
      "\uFEFF: keepalive\r\n\r\nid: c.1\nevent: revocation\ndata: {\"a\":\ndata: 1}\n\n" +
      "id: c.2\revent: revocation\rdata:{\"b\":2}\r\r" +
      "data: no event name\r\n\r\n" +
      "event: revocation\ndata\n\n" + // empty data: not dispatched
      "data\ndata\n\n" +
      "id: c.3\nevent: revocation\ndata: {\"é\":3}\n\n";
    // Every split point, including inside the two-byte é and between CR and LF.
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut += 1) {
      events.length = 0;
      comments.length = 0;
      await readSse(body([bytes.slice(0, cut), bytes.slice(cut)]), {
        onEvent: (e) => events.push(e),
        onComment: (c) => comments.push(c),
      });
      assert.deepEqual(
        events,
        [
          { event: "revocation", data: '{"a":\n1}', id: "c.1" },
          { event: "revocation", data: '{"b":2}', id: "c.2" },
          { event: "message", data: "no event name", id: "c.2" },
          { event: "message", data: "\n", id: "c.2" },
          { event: "revocation", data: '{"é":3}', id: "c.3" },
        ],
        `cut at ${cut}`,
      );
      assert.deepEqual(comments, ["keepalive"], `cut at ${cut}`);
    }
  });

  it("drops an event the stream ended in the middle of", async () => {
    const events = [];
    await readSse(body(["id: c.9\ndata: complete\n\ndata: cut off"]), { onEvent: (e) => events.push(e) }, "c.0");
    assert.deepEqual(events, [{ event: "message", data: "complete", id: "c.9" }]);
  });
});

describe("RevocationSet", () => {
  it("reads a UUIDv7's time and nothing from other ids", () => {
    const at = Date.UTC(2026, 11, 7, 12, 0, 0, 123);
    assert.equal(uuidV7Millis(uuidV7(at)), at);
    assert.equal(uuidV7Millis("0193b3c4-6f1e-4d2a-9c1b-2f4e5a6b7c8d"), null, "a v4");
    assert.equal(uuidV7Millis("not a uuid"), null);
  });

  it("refuses a listed sid, and sessions that started at or before the user's valid_after", () => {
    const set = new RevocationSet();
    const now = Date.now();
    const sub = uuidV7();
    const listed = uuidV7(now - 5000);
    assert.equal(set.apply({ sid: listed, sub, revoked_at: new Date(now - 100).toISOString(), reason: "logout" }), true);
    assert.equal(set.isRevoked(listed, sub), true);
    assert.equal(set.isRevoked(uuidV7(now - 5000), sub), false, "another session of the user");

    const validAfter = now - 2000;
    assert.equal(set.apply({ sub, valid_after: new Date(validAfter).toISOString() }), true);
    assert.equal(set.isRevoked(uuidV7(validAfter - 1), sub), true);
    assert.equal(set.isRevoked(uuidV7(validAfter), sub), true, "at valid_after is dead");
    assert.equal(set.isRevoked(uuidV7(validAfter + 1), sub), false, "1 ms later lives");
    assert.equal(set.isRevoked(uuidV7(validAfter - 1), uuidV7()), false, "another user");
    // An older valid_after never moves the line back.
    set.apply({ sub, valid_after: new Date(validAfter - 60_000).toISOString() });
    assert.equal(set.isRevoked(uuidV7(validAfter - 1), sub), true);
    // A sid that is not a UUIDv7: the token's iat (seconds) stands in.
    assert.equal(set.isRevoked("legacy-session", sub, Math.floor((validAfter - 1000) / 1000)), true);
    assert.equal(set.isRevoked("legacy-session", sub, Math.ceil((validAfter + 1000) / 1000)), false);
  });

  it("ignores what is not an entry, and entries older than max_age", () => {
    const set = new RevocationSet();
    set.maxAgeSeconds = 905;
    const now = Date.now();
    assert.equal(set.apply(null), false);
    assert.equal(set.apply({ sid: uuidV7(), revoked_at: "yesterday" }), false);
    assert.equal(set.apply({ sid: uuidV7(), sub: uuidV7(), revoked_at: new Date(now - 906_000).toISOString() }), false);
    assert.equal(set.sessionCount, 0);
  });

  it("prunes entries max_age after their time, and keeps the rest", () => {
    const set = new RevocationSet();
    set.maxAgeSeconds = 10;
    const now = Date.now();
    const old = uuidV7(now - 9000);
    const fresh = uuidV7(now);
    const sub = uuidV7();
    set.addSession(old, now - 9000, now);
    set.addSession(fresh, now, now);
    set.addUser(sub, now - 9500, now);
    assert.equal(set.prune(now), 0);
    assert.equal(set.prune(now + 2000), 2, "the old session and the user");
    assert.equal(set.isRevoked(old, uuidV7()), false);
    assert.equal(set.isRevoked(fresh, uuidV7()), true);
    assert.equal(set.sessionCount, 1);
    assert.equal(set.userCount, 0);
    assert.equal(set.prune(now + 11_000), 1);
    assert.equal(set.sessionCount, 0);
  });
});
