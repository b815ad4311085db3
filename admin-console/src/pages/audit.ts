// The audit log with the filters of API.md §12 (user, type, since, until,
// page size), cursor paging (older pages by `next_cursor`) and a live tail:
// the newest page asks every 2 s for events since its newest one.
import { type AuditEvent, call, client, codeOf, emailsOf, explain } from "../api.ts";
import { device, field, h, link, setStatus, status, time } from "../dom.ts";

/** How often the live tail asks (ms). */
const LIVE_EVERY = 2000;
/** Whether the live tail is on: it stays on while the filters change. */
let live = false;

/** The event types of §12 (an unknown type is a 422). */
export const EVENT_TYPES = [
  "user.registered", "user.email_verified", "user.imported", "login.succeeded", "login.failed", "login.locked",
  "refresh.reuse_detected", "session.revoked", "password.changed", "password.reset", "email.changed",
  "user.roles_changed", "user.disabled", "user.enabled", "user.deleted", "mfa.enrolled", "mfa.removed",
  "mfa.recovery_code_used", "identity.linked", "identity.unlinked",
];

function summary(data: Record<string, unknown>): string {
  return Object.entries(data)
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(" · ");
}

/** A person: their email (or, when the user is gone, the end of the id), linked. */
function who(id: string | null | undefined, names: Map<string, string | null>): Node | string {
  if (!id) return h("span", { className: "muted" }, "—");
  const name = names.get(id);
  const a = link(`#/users/${encodeURIComponent(id)}`, name ?? `…${id.slice(-8)}`, "who");
  a.title = id;
  a.dataset.id = id;
  return a;
}

/** The table rows of `events`, people named by `emailsOf`. */
export async function eventRows(events: AuditEvent[]): Promise<HTMLTableRowElement[]> {
  const names = await emailsOf(events.flatMap((e) => [e.actor_id, e.user_id]));
  return events.map((e) =>
    h(
      "tr",
      { className: "event", dataset: { type: e.type, id: e.id } },
      h("td", {}, time(e.at)),
      h("td", {}, h("code", { className: "type" }, e.type)),
      h("td", { className: "actor" }, who(e.actor_id, names)),
      h("td", { className: "subject" }, who(e.user_id, names)),
      h("td", { className: "data" }, summary((e.data ?? {}) as Record<string, unknown>)),
      h("td", { className: "hint", title: e.user_agent ?? "" }, e.ip ?? "", e.user_agent ? h("div", {}, device(e.user_agent)) : null),
    ),
  );
}

export function eventTable(rows: HTMLTableRowElement[], id: string, empty = "No events."): HTMLElement {
  if (!rows.length) return h("p", { className: "muted", id }, empty);
  return h(
    "div",
    { className: "table-wrap" },
    h(
      "table",
      { id, className: "events" },
      h("thead", {}, h("tr", {}, ...["When", "Type", "Actor", "User", "Details", "Client"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...rows),
    ),
  );
}

/** `datetime-local` value (local time) ⇄ RFC 3339 (UTC). */
function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function fromLocalInput(value: string): string {
  return value ? new Date(value).toISOString() : "";
}

export async function auditPage(query: URLSearchParams): Promise<HTMLElement> {
  const filters = {
    user_id: query.get("user_id") ?? "",
    type: query.get("type") ?? "",
    since: query.get("since") ?? "",
    until: query.get("until") ?? "",
    limit: query.get("limit") ?? "50",
  };
  const cursor = query.get("cursor") ?? "";
  const apiQuery: Record<string, string | number> = { limit: Number(filters.limit) || 50 };
  for (const key of ["user_id", "type", "since", "until"] as const) if (filters[key]) apiQuery[key] = filters[key];
  if (cursor) apiQuery.cursor = cursor;
  const page = await call((headers) => client.api.GET("/v1/admin/audit", { headers, params: { query: apiQuery } }));

  const userId = h("input", { name: "user_id", type: "text", value: filters.user_id, id: "audit-user", spellcheck: false });
  const type = h("select", { name: "type", id: "audit-type" }, h("option", { value: "" }, "any type"), ...EVENT_TYPES.map((t) => h("option", { value: t, selected: t === filters.type }, t)));
  const since = h("input", { name: "since", type: "datetime-local", value: toLocalInput(filters.since), id: "audit-since" });
  const until = h("input", { name: "until", type: "datetime-local", value: toLocalInput(filters.until), id: "audit-until" });
  const limit = h("select", { name: "limit", id: "audit-limit" }, ...["20", "50", "100", "200"].map((n) => h("option", { value: n, selected: n === filters.limit }, n)));
  for (const el of [userId, since, until]) el.setAttribute("autocomplete", "off");
  const form = h(
    "form",
    { id: "audit-filter", className: "filters" },
    field("User id", userId),
    field("Type", type),
    field("Since", since),
    field("Until", until),
    field("Per page", limit),
    h("button", { type: "submit" }, "Filter"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (userId.value.trim()) q.set("user_id", userId.value.trim());
    if (type.value) q.set("type", type.value);
    if (since.value) q.set("since", fromLocalInput(since.value));
    if (until.value) q.set("until", fromLocalInput(until.value));
    if (limit.value !== "50") q.set("limit", limit.value);
    location.hash = `#/audit${q.toString() ? `?${q}` : ""}`;
  });

  const base = new URLSearchParams(query);
  base.delete("cursor");
  const older = new URLSearchParams(base);
  if (page.next_cursor) older.set("cursor", page.next_cursor);

  const section = h("section", { id: "audit" });
  section.append(
    h("h1", {}, "Audit log"),
    form,
    // Older pages do not change: the live tail is for the newest one.
    ...(cursor ? [] : [liveTail(section, apiQuery, page.events)]),
    eventTable(await eventRows(page.events), "audit-events"),
    h(
      "nav",
      { className: "pager", attrs: { "aria-label": "Pages" } },
      cursor ? link(`#/audit${base.toString() ? `?${base}` : ""}`, "← Newest", "pager-first") : null,
      page.next_cursor ? link(`#/audit?${older}`, "Older →", "pager-next") : null,
    ),
  );
  return section;
}

/**
 * The "Live" toggle: while on, asks every 2 s for the events of the page's
 * filters since the newest one shown (`since` is inclusive: events already
 * shown are skipped by id) and puts the new ones on top, highlighted. Stops
 * when the page is left.
 */
function liveTail(section: HTMLElement, filters: Record<string, string | number>, shown: AuditEvent[]): HTMLElement {
  const known = new Set(shown.map((e) => e.id));
  // Events sort by id (UUIDv7) in time order; the page is newest first.
  let newest: AuditEvent | undefined = shown[0];
  let timer: number | undefined;
  const toggle = h("button", { type: "button", id: "audit-live", attrs: { "aria-pressed": String(live) } }, "Live");
  const line = status("live-status");

  /** The new events (newest first): pages since the newest shown, until one reaches what is known. */
  async function fresh(): Promise<AuditEvent[]> {
    const found: AuditEvent[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const query: Record<string, string | number> = { ...filters, limit: 200 };
      delete query.cursor;
      if (newest) query.since = newest.at;
      if (cursor) query.cursor = cursor;
      const page = await call((headers) => client.api.GET("/v1/admin/audit", { headers, params: { query } }));
      found.push(...page.events.filter((e) => !known.has(e.id)));
      if (!page.next_cursor || page.events.some((e) => known.has(e.id))) break;
      cursor = page.next_cursor;
    }
    return found;
  }

  async function tick(): Promise<void> {
    timer = undefined;
    if (!live || !section.isConnected) return;
    try {
      const events = await fresh();
      if (!live || !section.isConnected) return;
      const unseen = events.filter((e) => !known.has(e.id));
      if (unseen.length) {
        const rows = await eventRows(unseen);
        for (const row of rows) row.classList.add("new");
        let body = section.querySelector<HTMLTableSectionElement>("#audit-events tbody");
        if (!body) {
          // The page had no event: the table comes with the first.
          const table = eventTable(rows, "audit-events");
          section.querySelector("#audit-events")?.replaceWith(table);
        } else {
          body.prepend(...rows);
        }
        for (const e of unseen) known.add(e.id);
        for (const e of unseen) if (!newest || e.id > newest.id) newest = e;
        setStatus(line, "ok", `${unseen.length} new event${unseen.length === 1 ? "" : "s"} at ${new Date().toLocaleTimeString()}.`);
      }
    } catch (err) {
      setStatus(line, "error", `The live tail could not ask: ${explain(err)} Trying again.`, codeOf(err));
    }
    if (live && section.isConnected) timer = window.setTimeout(() => void tick(), LIVE_EVERY);
  }

  function turn(on: boolean): void {
    live = on;
    toggle.setAttribute("aria-pressed", String(on));
    window.clearTimeout(timer);
    timer = undefined;
    if (on) {
      setStatus(line, "busy", "Live: new events appear on top as they happen.");
      timer = window.setTimeout(() => void tick(), 0);
    } else {
      setStatus(line, "ok", "Live tail off.");
    }
  }

  toggle.addEventListener("click", () => turn(!live));
  // On already (the filters changed): ask once the page is on screen.
  if (live) {
    setStatus(line, "busy", "Live: new events appear on top as they happen.");
    timer = window.setTimeout(() => void tick(), LIVE_EVERY);
  }
  return h("div", { className: "live", id: "audit-live-bar" }, toggle, line);
}
