/**
 * Follows authd's revocation feed (API.md §18) into a `RevocationSet`.
 *
 * It loads the current list with `GET /v1/revocations` (every page), then
 * follows `GET /v1/revocations/stream` from that cursor (`Last-Event-ID`).
 * When the stream cannot be opened, ends, or goes quiet past its keepalive,
 * it polls `GET /v1/revocations?since=<cursor>` at once and then every
 * `pollIntervalMs`, and tries the stream again after a backoff (1 s,
 * doubling to 30 s; back to 1 s after a stream that stayed up). Every
 * answer, event and keepalive is "news"; the verifier refuses tokens when
 * there has been none for too long.
 */
import type { RevocationSet } from "./revocation-set.js";
import { readSse } from "./sse.js";

type FetchFn = typeof fetch;

export interface FeedOptions {
  /** `…/v1/revocations` */
  revocationsUrl: string;
  /** `…/v1/revocations/stream` */
  streamUrl: string;
  serviceKey: string;
  fetch: FetchFn;
  set: RevocationSet;
  /** false: poll only. */
  useStream: boolean;
  pollIntervalMs: number;
  /** Time for an answer (a page, or the stream's headers). */
  requestTimeoutMs: number;
  /** A stream silent this long is dropped (authd sends a keepalive every 15 s). */
  streamIdleTimeoutMs: number;
}

export type FeedMode = "connecting" | "stream" | "polling" | "closed";

/** An answer of the feed other than 200. */
export class FeedHttpError extends Error {
  override name = "FeedHttpError";
  constructor(
    readonly status: number,
    url: string,
  ) {
    super(
      status === 401
        ? `${url} answered 401: the service key is missing or not in authd's AUTH_SERVICE_KEYS`
        : `${url} answered ${status}`,
    );
  }
}

const STREAM_BACKOFF_MIN_MS = 1000;
const STREAM_BACKOFF_MAX_MS = 30_000;
/** Until the first list is in, every token waits or is refused: retry often. */
const FIRST_LOAD_BACKOFF_MAX_MS = 5000;
/** A stream that stayed up this long resets the backoff. */
const STREAM_HEALTHY_MS = 10_000;
const PAGES_PER_POLL = 1000;

export class RevocationFeed {
  readonly #o: FeedOptions;
  readonly #abort = new AbortController();
  readonly #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (err: Error) => void;
  #isReady = false;
  #mode: FeedMode = "connecting";
  #cursor: string | null = null;
  #lastNewsAt: number | null = null;
  #lastError: string | null = null;

  constructor(options: FeedOptions) {
    this.#o = options;
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Nobody may be waiting: a rejection is reported through ready() only.
    this.#ready.catch(() => undefined);
  }

  get mode(): FeedMode {
    return this.#mode;
  }
  get cursor(): string | null {
    return this.#cursor;
  }
  get lastNewsAt(): number | null {
    return this.#lastNewsAt;
  }
  get lastError(): string | null {
    return this.#lastError;
  }
  get isReady(): boolean {
    return this.#isReady;
  }
  get closed(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Settles once the first full list is loaded; rejects on 401 or close. */
  ready(): Promise<void> {
    return this.#ready;
  }

  start(): void {
    this.#run().catch((err: unknown) => {
      this.#lastError = describe(err);
    });
  }

  close(): void {
    if (this.closed) return;
    this.#mode = "closed";
    this.#abort.abort();
    if (!this.#isReady) this.#rejectReady(new Error("the verifier was closed"));
  }

  async #run(): Promise<void> {
    // The whole current list first: `ready()` means "nothing revoked is
    // unknown here".
    let backoff = STREAM_BACKOFF_MIN_MS;
    while (!this.closed) {
      try {
        await this.#poll();
        this.#isReady = true;
        this.#resolveReady();
        break;
      } catch (err) {
        if (this.closed) return;
        this.#failed(err);
        if (err instanceof FeedHttpError && (err.status === 401 || err.status === 403)) {
          this.#rejectReady(err);
        }
        await this.#sleep(backoff);
        backoff = Math.min(backoff * 2, FIRST_LOAD_BACKOFF_MAX_MS);
      }
    }

    backoff = STREAM_BACKOFF_MIN_MS;
    while (!this.closed) {
      if (this.#o.useStream) {
        const opened = Date.now();
        await this.#stream();
        if (this.closed) return;
        if (Date.now() - opened >= STREAM_HEALTHY_MS) backoff = STREAM_BACKOFF_MIN_MS;
      }
      // Polling until the stream is tried again: at once (what the stream
      // may have missed), then every interval.
      this.#mode = "polling";
      const until = this.#o.useStream ? Date.now() + backoff * (0.8 + Math.random() * 0.4) : Number.POSITIVE_INFINITY;
      for (;;) {
        try {
          await this.#poll();
        } catch (err) {
          if (this.closed) return;
          this.#failed(err);
        }
        if (this.closed || Date.now() + this.#o.pollIntervalMs > until) break;
        await this.#sleep(this.#o.pollIntervalMs);
      }
      await this.#sleep(Math.max(0, until - Date.now()));
      backoff = Math.min(backoff * 2, STREAM_BACKOFF_MAX_MS);
    }
  }

  /** `GET /v1/revocations?since=<cursor>`, page after page while `has_more`. */
  async #poll(): Promise<void> {
    for (let pages = 0; pages < PAGES_PER_POLL; pages++) {
      const url = new URL(this.#o.revocationsUrl);
      if (this.#cursor !== null) url.searchParams.set("since", this.#cursor);
      const { signal, release } = this.#deadline(this.#o.requestTimeoutMs);
      let page: Page;
      try {
        const res = await this.#o.fetch(url, {
          headers: { Authorization: `Bearer ${this.#o.serviceKey}`, Accept: "application/json" },
          signal,
        });
        if (!res.ok) {
          await res.body?.cancel().catch(() => undefined);
          throw new FeedHttpError(res.status, this.#o.revocationsUrl);
        }
        page = parsePage(await res.json());
      } finally {
        release();
      }
      const now = Date.now();
      this.#o.set.maxAgeSeconds = page.max_age;
      for (const entry of page.sessions) this.#o.set.apply(entry, now);
      for (const entry of page.users) this.#o.set.apply(entry, now);
      this.#cursor = page.cursor;
      this.#news();
      if (!page.has_more) return;
    }
  }

  /** Follows the stream until it ends, fails or goes quiet. */
  async #stream(): Promise<void> {
    this.#mode = "connecting";
    const { signal, abort, clearTimer, release } = this.#deadline(this.#o.requestTimeoutMs);
    let idle: ReturnType<typeof setInterval> | undefined;
    try {
      const headers: Record<string, string> = {
        Authorization: `Bearer ${this.#o.serviceKey}`,
        Accept: "text/event-stream",
        "Cache-Control": "no-cache",
      };
      if (this.#cursor !== null) headers["Last-Event-ID"] = this.#cursor;
      const res = await this.#o.fetch(this.#o.streamUrl, { headers, signal });
      const type = res.headers.get("content-type") ?? "";
      if (!res.ok || !res.body || !type.startsWith("text/event-stream")) {
        await res.body?.cancel().catch(() => undefined);
        throw new FeedHttpError(res.ok ? 415 : res.status, this.#o.streamUrl);
      }
      clearTimer(); // headers arrived: no more deadline for the whole stream
      this.#mode = "stream";
      this.#news();
      let lastActivity = Date.now();
      idle = setInterval(
        () => {
          if (Date.now() - lastActivity > this.#o.streamIdleTimeoutMs) abort();
        },
        Math.min(1000, this.#o.streamIdleTimeoutMs),
      );
      await readSse(
        res.body,
        {
          onActivity: () => {
            lastActivity = Date.now();
            this.#news();
          },
          onEvent: (event) => {
            if (event.event === "revocation") {
              try {
                this.#o.set.apply(JSON.parse(event.data));
              } catch {
                // Not JSON: nothing to apply; the cursor still moves on.
              }
            }
            if (event.id) this.#cursor = event.id;
          },
        },
        this.#cursor ?? "",
      );
      if (!this.closed) this.#lastError = "the stream ended";
    } catch (err) {
      if (!this.closed) this.#failed(err);
    } finally {
      if (idle !== undefined) clearInterval(idle);
      release();
    }
  }

  #news(): void {
    this.#lastNewsAt = Date.now();
    this.#lastError = null;
  }

  #failed(err: unknown): void {
    this.#lastError = describe(err);
  }

  /**
   * A signal that aborts after `ms` (`clearTimer` stops that) or when the
   * feed closes; `release` unhooks it once the request is over.
   */
  #deadline(ms: number): { signal: AbortSignal; abort: () => void; clearTimer: () => void; release: () => void } {
    const controller = new AbortController();
    const abort = () => controller.abort();
    const timer = setTimeout(abort, ms);
    this.#abort.signal.addEventListener("abort", abort, { once: true });
    return {
      signal: controller.signal,
      abort,
      clearTimer: () => clearTimeout(timer),
      release: () => {
        clearTimeout(timer);
        this.#abort.signal.removeEventListener("abort", abort);
      },
    };
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#abort.signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      this.#abort.signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}

interface Page {
  sessions: unknown[];
  users: unknown[];
  cursor: string;
  max_age: number;
  has_more: boolean;
}

function parsePage(body: unknown): Page {
  const p = body as Partial<Page> | null;
  if (!p || !Array.isArray(p.sessions) || !Array.isArray(p.users) || typeof p.cursor !== "string") {
    throw new Error("the revocations answer is not a page (sessions, users, cursor)");
  }
  return {
    sessions: p.sessions,
    users: p.users,
    cursor: p.cursor,
    max_age: typeof p.max_age === "number" ? p.max_age : 905,
    has_more: p.has_more === true,
  };
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
