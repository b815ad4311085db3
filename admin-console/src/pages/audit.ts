// The audit log with the filters of API.md §12 (user, type, since, until,
// page size) and cursor paging (older pages by `next_cursor`).
import { type AuditEvent, call, client, emailsOf } from "../api.ts";
import { device, field, h, link, time } from "../dom.ts";

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
      h("td", { className: "muted small", title: e.user_agent ?? "" }, e.ip ?? "", e.user_agent ? h("div", {}, device(e.user_agent)) : null),
    ),
  );
}

export function eventTable(rows: HTMLTableRowElement[], id: string): HTMLElement {
  if (!rows.length) return h("p", { className: "muted", id }, "No events.");
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

  return h(
    "section",
    { id: "audit" },
    h("h1", {}, "Audit log"),
    form,
    eventTable(await eventRows(page.events), "audit-events"),
    h(
      "nav",
      { className: "pager", attrs: { "aria-label": "Pages" } },
      cursor ? link(`#/audit${base.toString() ? `?${base}` : ""}`, "← Newest", "pager-first") : null,
      page.next_cursor ? link(`#/audit?${older}`, "Older →", "pager-next") : null,
    ),
  );
}
