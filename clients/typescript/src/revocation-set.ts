/**
 * What the revocation feed (API.md §18) has said, held for as long as it
 * matters: revoked sessions and, per user, the time before which every
 * session is dead. An entry is dropped `max_age` seconds after its time
 * (the access-token lifetime plus the verification leeway): the tokens it
 * covers have expired by then, so memory is bounded by what happens within
 * one token lifetime, not by the number of users.
 */

/** One entry of the feed: a revoked session or a user's `valid_after`. */
export type RevocationEntry =
  | { sid: string; sub: string; revoked_at: string; reason?: string }
  | { sub: string; valid_after: string };

/**
 * Milliseconds since the Unix epoch at which a UUIDv7 was made (its first 48
 * bits), or null for anything that is not a UUIDv7.
 */
export function uuidV7Millis(id: string): number | null {
  if (id.length !== 36 || id[8] !== "-" || id[13] !== "-" || id[14] !== "7") return null;
  const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  return Number.isFinite(ms) ? ms : null;
}

export class RevocationSet {
  /**
   * sid → expiry in whole seconds after `#base` (a small integer, so V8 keeps
   * it inline in the map instead of boxing a double per entry). Insertion
   * order is roughly time order, which is what `prune` relies on.
   */
  readonly #sessions = new Map<string, number>();
  /** sub → the latest `valid_after` (ms since the epoch). */
  readonly #users = new Map<string, number>();
  readonly #base = Date.now();
  #maxAgeMs = 905_000;
  #lastEntryAt: number | null = null;

  /** `max_age` of the feed, in seconds (the answer's field). */
  set maxAgeSeconds(seconds: number) {
    if (Number.isFinite(seconds) && seconds > 0) this.#maxAgeMs = seconds * 1000;
  }

  get maxAgeSeconds(): number {
    return this.#maxAgeMs / 1000;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  get userCount(): number {
    return this.#users.size;
  }

  /** When the last entry (new or a repeat) was applied, ms since the epoch. */
  get lastEntryAt(): number | null {
    return this.#lastEntryAt;
  }

  /**
   * Applies one entry of the feed; repeats are harmless. Returns false for
   * something that is not an entry, or one already too old to matter.
   */
  apply(entry: unknown, now = Date.now()): boolean {
    if (typeof entry !== "object" || entry === null) return false;
    const e = entry as Record<string, unknown>;
    if (typeof e.sid === "string" && typeof e.revoked_at === "string") {
      return this.addSession(e.sid, Date.parse(e.revoked_at), now);
    }
    if (typeof e.sub === "string" && typeof e.valid_after === "string") {
      return this.addUser(e.sub, Date.parse(e.valid_after), now);
    }
    return false;
  }

  /** Marks session `sid` revoked at `revokedAtMs`. */
  addSession(sid: string, revokedAtMs: number, now = Date.now()): boolean {
    if (!Number.isFinite(revokedAtMs)) return false;
    const expires = revokedAtMs + this.#maxAgeMs;
    if (expires <= now) return false;
    this.#lastEntryAt = now;
    const stored = Math.ceil((expires - this.#base) / 1000);
    const previous = this.#sessions.get(sid);
    if (previous === undefined || previous < stored) this.#sessions.set(sid, stored);
    return true;
  }

  /** Every session of `sub` that started at or before `validAfterMs` is dead. */
  addUser(sub: string, validAfterMs: number, now = Date.now()): boolean {
    if (!Number.isFinite(validAfterMs) || validAfterMs + this.#maxAgeMs <= now) return false;
    this.#lastEntryAt = now;
    const previous = this.#users.get(sub);
    if (previous === undefined || previous < validAfterMs) this.#users.set(sub, validAfterMs);
    return true;
  }

  /**
   * The feed's rule: the session is listed, or it started (its UUIDv7 time;
   * `iat` in seconds for an id that is not one) at or before its user's
   * `valid_after`.
   */
  isRevoked(sid: string, sub: string, iatSeconds?: number): boolean {
    if (this.#sessions.has(sid)) return true;
    const validAfter = this.#users.get(sub);
    if (validAfter === undefined) return false;
    const started = uuidV7Millis(sid) ?? (typeof iatSeconds === "number" ? iatSeconds * 1000 : -Infinity);
    return started <= validAfter;
  }

  /**
   * Drops entries past `max_age`. Sessions arrive in about time order (the
   * feed sends them sorted, a late commit by a few seconds at most), so the
   * scan stops at the first entry that has more than a minute to live:
   * pruning costs what it removes, not the size of the map.
   */
  prune(now = Date.now()): number {
    const nowRel = (now - this.#base) / 1000;
    let removed = 0;
    for (const [sid, expires] of this.#sessions) {
      if (expires > nowRel + 60) break;
      if (expires <= nowRel) {
        this.#sessions.delete(sid);
        removed += 1;
      }
    }
    for (const [sub, validAfter] of this.#users) {
      if (validAfter + this.#maxAgeMs <= now) {
        this.#users.delete(sub);
        removed += 1;
      }
    }
    return removed;
  }
}
