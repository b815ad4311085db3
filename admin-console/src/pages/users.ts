// Users: search by email (the API matches any part of the address, so a
// prefix finds its users), filter by role, page by page, newest first.
import { call, caller, client } from "../api.ts";
import { ago, badge, field, h, link, time } from "../dom.ts";

const PER_PAGE = 25;

function hashFor(query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "" && v !== 1) q.set(k, String(v));
  const s = q.toString();
  return `#/users${s ? `?${s}` : ""}`;
}

export async function usersPage(query: URLSearchParams): Promise<HTMLElement> {
  const email = query.get("email") ?? "";
  const role = query.get("role") ?? "";
  const page = Math.max(1, Number(query.get("page") ?? "1") || 1);
  const result = await call((headers) =>
    client.api.GET("/v1/admin/users", {
      headers,
      params: { query: { page, per_page: PER_PAGE, ...(email ? { email } : {}), ...(role ? { role } : {}) } },
    }),
  );

  const search = h("input", { name: "email", type: "search", value: email, placeholder: "e.g. alice@", id: "user-search" });
  search.setAttribute("autocomplete", "off");
  const roleSelect = h("select", { name: "role", id: "role-filter" }, h("option", { value: "" }, "any role"), ...caller.roles.map((r) => h("option", { value: r.name, selected: r.name === role }, r.name)));
  const form = h("form", { id: "users-filter", className: "filters" }, field("Email", search), field("Role", roleSelect), h("button", { type: "submit" }, "Search"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = hashFor({ email: search.value.trim(), role: roleSelect.value });
  });

  const rows = result.users.map((u) =>
    h(
      "tr",
      { className: "user", dataset: { id: u.id, email: u.email } },
      h("td", {}, link(`#/users/${encodeURIComponent(u.id)}`, u.email, "user-link"), u.display_name ? h("div", { className: "muted" }, u.display_name) : null),
      h("td", {}, u.email_verified ? badge("verified", "ok") : badge("unverified", "warn")),
      h("td", {}, u.disabled ? badge("disabled", "bad") : badge("active", "ok")),
      h("td", { className: "roles" }, ...u.roles.map((r) => badge(r))),
      h("td", { title: u.last_login_at ?? "" }, u.last_login_at ? ago(u.last_login_at) : h("span", { className: "muted" }, "never")),
      h("td", {}, time(u.created_at)),
    ),
  );
  const pages = Math.max(1, Math.ceil(result.total / result.per_page));
  const prev = page > 1 ? link(hashFor({ email, role, page: page - 1 }), "← Newer", "pager-prev") : null;
  const next = page < pages ? link(hashFor({ email, role, page: page + 1 }), "Older →", "pager-next") : null;

  return h(
    "section",
    { id: "users" },
    h("h1", {}, "Users"),
    form,
    h("p", { className: "muted", id: "users-count" }, `${result.total} user${result.total === 1 ? "" : "s"}${email ? ` matching “${email}”` : ""}${role ? ` with role ${role}` : ""} · page ${page} of ${pages}`),
    h(
      "div",
      { className: "table-wrap" },
      h(
        "table",
        { id: "users-table" },
        h("thead", {}, h("tr", {}, ...["Email", "Verified", "State", "Roles", "Last sign-in", "Created"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...rows),
      ),
    ),
    rows.length === 0 ? h("p", { className: "muted" }, "No users match.") : null,
    h("nav", { className: "pager", attrs: { "aria-label": "Pages" } }, prev, next),
  );
}
