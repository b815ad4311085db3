// Users: search by email (the API matches any part of the address, so a
// prefix finds its users), filter by role, newest first, paged by cursor
// (`next_cursor`). The cursor of the page on screen is in the address; the
// ones before it are remembered here, for "Previous".
import { call, caller, client } from "../api.ts";
import { ago, badge, field, h, link, time } from "../dom.ts";

const PER_PAGE = ["10", "25", "50", "100"];
const DEFAULT_PER_PAGE = "25";

/**
 * The cursors of the pages walked through, in order, for one search ("" is
 * the first page's). Reached by a bookmark or a reload, a page's earlier
 * cursors are unknown: `fromFirst` is false and "First page" stands in for
 * "Previous".
 */
let trail: { search: string; cursors: string[]; fromFirst: boolean } = { search: "", cursors: [""], fromFirst: true };

function hashFor(query: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v);
  const s = q.toString();
  return `#/users${s ? `?${s}` : ""}`;
}

export async function usersPage(query: URLSearchParams): Promise<HTMLElement> {
  const email = query.get("email") ?? "";
  const role = query.get("role") ?? "";
  const perPage = PER_PAGE.includes(query.get("per_page") ?? "") ? query.get("per_page")! : DEFAULT_PER_PAGE;
  const cursor = query.get("cursor") ?? "";
  const result = await call((headers) =>
    client.api.GET("/v1/admin/users", {
      headers,
      params: { query: { per_page: Number(perPage), ...(email ? { email } : {}), ...(role ? { role } : {}), ...(cursor ? { cursor } : {}) } },
    }),
  );

  // Where this page is in the walk through the search's pages.
  const search = JSON.stringify([email, role, perPage]);
  let at = trail.search === search ? trail.cursors.indexOf(cursor) : -1;
  if (at === -1) {
    trail = { search, cursors: [cursor], fromFirst: cursor === "" };
    at = 0;
  }
  if (result.next_cursor && trail.cursors[at + 1] !== result.next_cursor) {
    trail.cursors = [...trail.cursors.slice(0, at + 1), result.next_cursor];
  }
  const filters = { email, role, per_page: perPage === DEFAULT_PER_PAGE ? "" : perPage };

  const searchBox = h("input", { name: "email", type: "search", value: email, placeholder: "e.g. alice@", id: "user-search" });
  searchBox.setAttribute("autocomplete", "off");
  const roleSelect = h("select", { name: "role", id: "role-filter" }, h("option", { value: "" }, "any role"), ...caller.roles.map((r) => h("option", { value: r.name, selected: r.name === role }, r.name)));
  const perPageSelect = h("select", { name: "per_page", id: "users-per-page" }, ...PER_PAGE.map((n) => h("option", { value: n, selected: n === perPage }, n)));
  const form = h(
    "form",
    { id: "users-filter", className: "filters" },
    field("Email", searchBox),
    field("Role", roleSelect),
    field("Per page", perPageSelect),
    h("button", { type: "submit" }, "Search"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = hashFor({ email: searchBox.value.trim(), role: roleSelect.value, per_page: perPageSelect.value === DEFAULT_PER_PAGE ? "" : perPageSelect.value });
  });

  const rows = result.users.map((u) =>
    h(
      "tr",
      { className: "user", dataset: { id: u.id, email: u.email } },
      h("td", {}, link(`#/users/${encodeURIComponent(u.id)}`, u.email, "user-link"), u.display_name ? h("div", { className: "muted" }, u.display_name) : null),
      h("td", {}, u.email_verified ? badge("verified", "ok") : badge("unverified", "warn")),
      h("td", {}, u.disabled ? badge("disabled", "bad") : badge("active", "ok")),
      h("td", { className: "roles" }, ...u.roles.map((r) => badge(r))),
      h("td", { className: "factors" }, ...(u.factors.length ? u.factors.map((f) => badge(f === "totp" ? "authenticator app" : f, "ok")) : [h("span", { className: "muted" }, "none")])),
      h("td", { title: u.last_login_at ?? "" }, u.last_login_at ? ago(u.last_login_at) : h("span", { className: "muted" }, "never")),
      h("td", {}, time(u.created_at)),
    ),
  );
  const pages = Math.max(1, Math.ceil(result.total / result.per_page));
  const where = trail.fromFirst ? ` · page ${at + 1} of ${pages}` : "";
  const prev =
    at > 0
      ? link(hashFor({ ...filters, cursor: trail.cursors[at - 1] }), "← Previous", "pager-prev")
      : cursor
        ? link(hashFor(filters), "← First page", "pager-first")
        : null;
  const next = result.next_cursor ? link(hashFor({ ...filters, cursor: result.next_cursor }), "Next →", "pager-next") : null;

  return h(
    "section",
    { id: "users" },
    h("h1", {}, "Users"),
    form,
    h("p", { className: "muted", id: "users-count" }, `${result.total} user${result.total === 1 ? "" : "s"}${email ? ` matching “${email}”` : ""}${role ? ` with role ${role}` : ""}${where}`),
    h(
      "div",
      { className: "table-wrap" },
      h(
        "table",
        { id: "users-table" },
        h("thead", {}, h("tr", {}, ...["Email", "Verified", "State", "Roles", "Two-factor", "Last sign-in", "Created"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...rows),
      ),
    ),
    rows.length === 0 ? h("p", { className: "muted" }, "No users match.") : null,
    h("nav", { className: "pager", attrs: { "aria-label": "Pages" } }, prev, next),
  );
}
