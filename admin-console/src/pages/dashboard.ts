// Dashboard: user counts (the users API's totals), sign-ins per hour over the
// last 24 hours (the audit log), and the outboxes (mail, webhooks, Shared
// Signals pushes): queued, retrying and dead, from the gauges of /metrics
// when this listener serves it.
import { type AuditEvent, call, caller, client } from "../api.ts";
import { bars, h, link } from "../dom.ts";

async function userTotal(query: { role?: string } = {}): Promise<number> {
  const page = await call((headers) => client.api.GET("/v1/admin/users", { headers, params: { query: { per_page: 1, ...query } } }));
  return page.total;
}

/** Every event of `type` since `since`, newest first (at most `max`). */
async function eventsSince(type: string, since: Date, max = 2000): Promise<{ events: AuditEvent[]; complete: boolean }> {
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  while (events.length < max) {
    const page = await call((headers) =>
      client.api.GET("/v1/admin/audit", {
        headers,
        params: { query: { type, since: since.toISOString(), limit: 200, ...(cursor ? { cursor } : {}) } },
      }),
    );
    events.push(...page.events);
    if (!page.next_cursor) return { events, complete: true };
    cursor = page.next_cursor;
  }
  return { events, complete: false };
}

/**
 * The outboxes: the prefix of their gauges in /metrics and the ids of their
 * tiles. `*_pending` counts every row still to send, `*_retrying` those of
 * them that failed at least once, `*_dead` those given up on.
 */
const OUTBOXES = [
  { id: "mail", name: "Mail", gauge: "authd_mail_outbox" },
  { id: "webhooks", name: "Webhooks", gauge: "authd_webhooks" },
  { id: "ssf", name: "Shared Signals pushes", gauge: "authd_ssf_pushes" },
];

/** The gauges of /metrics (`name value` lines), or null when it is not served here. */
async function gauges(): Promise<Map<string, number> | null> {
  const response = await fetch("/metrics", { credentials: "omit" });
  if (!response.ok) return null;
  const found = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    const [name, value] = line.trim().split(/\s+/);
    if (name?.startsWith("authd_") && value !== undefined && !name.includes("{")) found.set(name, Number(value));
  }
  return found;
}

function tile(id: string, label: string, value: string | number, hint?: Node | string, kind = ""): HTMLElement {
  return h(
    "div",
    { className: `tile${kind ? ` ${kind}` : ""}`, id },
    h("span", { className: "label" }, label),
    h("strong", { className: "value" }, String(value)),
    hint ? h("span", { className: "hint" }, hint) : null,
  );
}

/** One outbox: queued (pending, not failed yet), retrying, dead. */
function outboxTiles(box: (typeof OUTBOXES)[number], metrics: Map<string, number>): HTMLElement {
  const pending = metrics.get(`${box.gauge}_pending`);
  const retrying = metrics.get(`${box.gauge}_retrying`);
  const dead = metrics.get(`${box.gauge}_dead`);
  const queued = pending === undefined || retrying === undefined ? undefined : Math.max(0, pending - retrying);
  const heading = h("h3", { id: `${box.id}-outbox-title` }, box.name);
  return h(
    "section",
    { className: "outbox", id: `${box.id}-outbox`, attrs: { "aria-labelledby": heading.id } },
    heading,
    h(
      "div",
      { className: "tiles" },
      tile(`${box.id}-queued`, "Queued", queued ?? "?"),
      tile(`${box.id}-retrying`, "Retrying", retrying ?? "?", undefined, retrying ? "warn" : ""),
      tile(`${box.id}-dead`, "Dead", dead ?? "?", undefined, dead ? "bad" : ""),
    ),
  );
}

export async function dashboardPage(): Promise<HTMLElement> {
  const now = new Date();
  const hourStart = new Date(now);
  hourStart.setMinutes(0, 0, 0);
  const since = new Date(hourStart.getTime() - 23 * 3600_000);
  const roleNames = caller.roles.map((r) => r.name);
  const [total, perRole, succeeded, failed, metrics] = await Promise.all([
    userTotal(),
    Promise.all(roleNames.map((role) => userTotal({ role }))),
    eventsSince("login.succeeded", since),
    eventsSince("login.failed", since),
    gauges().catch(() => null),
  ]);

  const hours = Array.from({ length: 24 }, (_, i) => new Date(since.getTime() + i * 3600_000));
  const perHour = (events: AuditEvent[]): number[] => {
    const counts = new Array<number>(24).fill(0);
    for (const e of events) {
      const slot = Math.floor((new Date(e.at).getTime() - since.getTime()) / 3600_000);
      if (slot >= 0 && slot < 24) counts[slot]++;
    }
    return counts;
  };
  const labels = hours.map((d) => `${String(d.getHours()).padStart(2, "0")}:00`);
  const more = (r: { complete: boolean }): string => (r.complete ? "" : "+");

  const outbox =
    metrics === null
      ? [h("p", { className: "muted", id: "outbox-unavailable" }, "The outbox figures come from /metrics, which this listener does not serve (AUTH_OPS_BIND is set): read them there.")]
      : [
          h("div", { className: "outboxes" }, ...OUTBOXES.map((box) => outboxTiles(box, metrics))),
          h("p", { className: "legend" }, "Queued: waiting for a first try · Retrying: failed at least once, tried again later · Dead: given up on."),
        ];

  return h(
    "section",
    { id: "dashboard" },
    h("h1", {}, "Dashboard"),
    h(
      "div",
      { className: "tiles" },
      tile("users-total", "Users", total, link("#/users", "All users")),
      ...roleNames.map((role, i) => tile(`users-role-${role}`, `Role ${role}`, perRole[i], link(`#/users?role=${encodeURIComponent(role)}`, "List"))),
      tile("logins-24h", "Sign-ins, 24 h", `${succeeded.events.length}${more(succeeded)}`, link("#/audit?type=login.succeeded", "Audit")),
      tile("failed-24h", "Failed sign-ins, 24 h", `${failed.events.length}${more(failed)}`, link("#/audit?type=login.failed", "Audit")),
    ),
    h("h2", {}, "Sign-ins per hour"),
    h(
      "div",
      { className: "card chart-card" },
      bars(
        [
          { values: perHour(succeeded.events), className: "ok", name: "sign-ins" },
          { values: perHour(failed.events), className: "bad", name: "failed" },
        ],
        labels,
        "Sign-ins per hour over the last 24 hours, successful and failed",
      ),
      h("p", { className: "legend" }, h("span", { className: "key ok" }), " successful ", h("span", { className: "key bad" }), " failed · local time"),
    ),
    h("h2", {}, "Outboxes"),
    ...outbox,
  );
}
