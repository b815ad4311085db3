// Memory of the verifier's revocation set holding 1,000,000 revoked
// sessions (fed synthetically into the same structure the feed fills), and
// the cost of a lookup and of a prune.
//
//   npm run build && node --expose-gc scripts/verifier-memory.mjs [count]
import { randomBytes } from "node:crypto";
import { RevocationSet } from "@authd/client";

const count = Number(process.argv[2] ?? 1_000_000);
const gc = globalThis.gc ?? (() => console.error("(run with --expose-gc for settled figures)"));
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const usage = () => {
  gc();
  gc();
  return process.memoryUsage();
};

/** A UUIDv7 of a session started at `ms`, as authd makes them. */
function uuidV7(ms) {
  const r = randomBytes(10).toString("hex");
  const h = ms.toString(16).padStart(12, "0") + "7" + r.slice(0, 3) + "8" + r.slice(3, 18);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// Each entry goes in as the feed applies it: parsed from its JSON (flat
// strings, as off the wire), one at a time, so the generator's garbage is
// collected before the "after" figure.
const now = Date.now();
const set = new RevocationSet();
set.maxAgeSeconds = 905;
const sub = uuidV7(now - 3_600_000);
const at = (i) => now - 600_000 + Math.floor((i / count) * 600_000);
const probe = [];
const before = usage();
let t = performance.now();
for (let i = 0; i < count; i++) {
  const line = `{"sid":"${uuidV7(at(i))}","sub":"${sub}","revoked_at":"${new Date(at(i)).toISOString()}","reason":"logout"}`;
  const entry = JSON.parse(line);
  set.apply(entry, now);
  if (i % 10 === 0) probe.push(JSON.parse(`"${entry.sid}"`));
}
const fillMs = performance.now() - t;
const after = usage();

t = performance.now();
let hits = 0;
for (const sid of probe) if (set.isRevoked(sid, "someone")) hits += 1;
const lookupNs = ((performance.now() - t) * 1e6) / probe.length;
const fresh = Array.from({ length: 100_000 }, () => uuidV7(now));
t = performance.now();
for (const sid of fresh) if (set.isRevoked(sid, "someone")) hits -= 1;
const missNs = ((performance.now() - t) * 1e6) / fresh.length;

t = performance.now();
const none = set.prune(now);
const pruneNothingMs = performance.now() - t;
t = performance.now();
const half = set.prune(now + 905_000 - 300_000);
const pruneHalfMs = performance.now() - t;

console.log(`revoked sessions held: ${count.toLocaleString("en")} (fill ${fillMs.toFixed(0)} ms)`);
for (const key of ["rss", "heapUsed", "heapTotal", "external"]) {
  console.log(
    `${key.padEnd(9)} before ${mb(before[key]).padStart(9)}  after ${mb(after[key]).padStart(9)}  ` +
      `(+${mb(after[key] - before[key])})`,
  );
}
console.log(`heapUsed per entry: ${((after.heapUsed - before.heapUsed) / count).toFixed(0)} bytes (map slot + id string), probe ids ${probe.length.toLocaleString("en")} included`);
console.log(`lookup: ${lookupNs.toFixed(0)} ns (hit), ${missNs.toFixed(0)} ns (miss); hits ${hits}/${probe.length}`);
console.log(`prune: ${pruneNothingMs.toFixed(2)} ms with nothing due (removed ${none}), ${pruneHalfMs.toFixed(0)} ms removing ${half.toLocaleString("en")}`);
