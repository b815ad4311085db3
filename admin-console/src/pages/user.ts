// One user: details, roles (roles:assign), disable/enable, unlock, MFA reset
// and sessions with revoke (users:write), and the user's security events.
// Buttons for what the caller's permissions do not allow are not drawn; the
// API refuses them anyway.
import { type Identity, type MfaFactorList, type Session, type User, call, caller, can, client, codeOf, explain } from "../api.ts";
import { ago, badge, device, h, link, setStatus, status, time } from "../dom.ts";
import { eventRows, eventTable } from "./audit.ts";

/** Draws the page again from the API, keeping `said` in its status line. */
function changed(said: string): void {
  window.dispatchEvent(new CustomEvent("admin:changed", { detail: said }));
}

/** A write button: runs `action`, reports in `line`, then redraws the page. */
function action(id: string, text: string, line: HTMLElement, run: () => Promise<string>, confirmText?: string, danger = false): HTMLButtonElement {
  const button = h("button", { type: "button", id, className: `write${danger ? " danger" : ""}` }, text);
  button.addEventListener("click", async () => {
    if (confirmText && !window.confirm(confirmText)) return;
    button.disabled = true;
    setStatus(line, "busy", "Working…");
    try {
      const said = await run();
      setStatus(line, "ok", said);
      changed(said);
    } catch (err) {
      setStatus(line, "error", explain(err), codeOf(err));
      button.disabled = false;
    }
  });
  return button;
}

function details(user: User): HTMLElement {
  const row = (label: string, value: Node | string): Node[] => [h("dt", {}, label), h("dd", {}, value)];
  return h(
    "dl",
    { className: "facts", id: "user-details" },
    ...row("Id", h("code", {}, user.id)),
    ...row("Name", user.display_name ?? h("span", { className: "muted" }, "none")),
    ...row("Email", h("span", {}, user.email, " ", user.email_verified ? badge("verified", "ok") : badge("unverified", "warn"))),
    ...row("State", user.disabled ? badge("disabled", "bad") : badge("active", "ok")),
    ...row("Language", user.locale ?? h("span", { className: "muted" }, "server default")),
    ...row("Created", time(user.created_at)),
    ...row("Last sign-in", time(user.last_login_at)),
  );
}

function rolesEditor(user: User, line: HTMLElement, redraw: (said: string) => void): HTMLElement {
  if (!can("roles:assign")) {
    return h("div", { id: "roles" }, ...user.roles.map((r) => badge(r)), user.roles.length ? "" : h("span", { className: "muted" }, "no roles"));
  }
  const boxes = caller.roles.map((role) => {
    const box = h("input", { type: "checkbox", name: "role", value: role.name, checked: user.roles.includes(role.name) });
    return h("label", { className: "check", title: role.permissions.join(", ") || "no permissions" }, box, h("span", { className: "name" }, role.name), h("span", { className: "muted" }, `— ${role.description}`));
  });
  const form = h("form", { id: "roles", className: "roles-form" }, ...boxes, h("button", { type: "submit", className: "write primary", id: "save-roles" }, "Save roles"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const roles = [...form.querySelectorAll<HTMLInputElement>("input[name=role]:checked")].map((b) => b.value);
    setStatus(line, "busy", "Saving roles…");
    try {
      await call((headers) => client.api.PUT("/v1/admin/users/{id}/roles", { headers, params: { path: { id: user.id } }, body: { roles } }));
      redraw(`Roles saved: ${roles.join(", ") || "none"}.`);
    } catch (err) {
      setStatus(line, "error", explain(err), codeOf(err));
    }
  });
  return form;
}

function sessionsTable(user: User, sessions: Session[], line: HTMLElement): HTMLElement {
  const rows = sessions.map((s) =>
    h(
      "tr",
      { className: "session", dataset: { id: s.id } },
      h("td", {}, device(s.user_agent), h("div", { className: "hint" }, s.ip ?? "")),
      h("td", {}, time(s.created_at)),
      h("td", { title: s.last_used_at }, ago(s.last_used_at)),
      h(
        "td",
        {},
        action(`revoke-${s.id}`, "Revoke", line, async () => {
          await call((headers) => client.api.DELETE("/v1/admin/users/{id}/sessions/{sid}", { headers, params: { path: { id: user.id, sid: s.id } } }));
          return "Session revoked: its tokens stop working now.";
        }),
      ),
    ),
  );
  return h(
    "div",
    { id: "sessions" },
    rows.length
      ? h("div", { className: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ...["Device", "Started", "Last used", ""].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, ...rows)))
      : h("p", { className: "muted" }, "No active sessions."),
    rows.length
      ? action("revoke-all", "Revoke all sessions", line, async () => {
          await call((headers) => client.api.DELETE("/v1/admin/users/{id}/sessions", { headers, params: { path: { id: user.id } } }));
          return "Every session revoked.";
        }, `End every session of ${user.email}?`, true)
      : null,
  );
}

/** The user's confirmed factors, recovery codes left, and provider identities. */
function waysIn(factors: MfaFactorList, identities: Identity[]): HTMLElement {
  const rows = [
    ...factors.factors.map((f) =>
      h(
        "tr",
        { className: "factor", dataset: { type: f.type } },
        h("td", {}, f.type === "totp" ? "Authenticator app (TOTP)" : f.type === "passkey" ? "Passkey" : f.type),
        h("td", {}, f.name ?? h("span", { className: "muted" }, "unnamed")),
        h("td", {}, time(f.created_at)),
        h("td", {}, f.last_used_at ? ago(f.last_used_at) : h("span", { className: "muted" }, "never")),
      ),
    ),
    ...identities.map((i) =>
      h(
        "tr",
        { className: "identity", dataset: { provider: i.provider } },
        h("td", {}, `Sign-in with ${i.provider}`),
        h("td", {}, i.email ?? h("span", { className: "muted" }, "no email")),
        h("td", {}, time(i.created_at)),
        h("td", {}, h("span", { className: "muted" }, "—")),
      ),
    ),
  ];
  return h(
    "div",
    { id: "ways-in" },
    rows.length
      ? h("div", { className: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ...["Kind", "Name", "Added", "Last used"].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, ...rows)))
      : h("p", { className: "muted" }, "No second factor and no linked identity."),
    factors.factors.length
      ? h("p", { className: "muted", id: "recovery-left" }, `${factors.recovery_codes_remaining} recovery code${factors.recovery_codes_remaining === 1 ? "" : "s"} left.`)
      : null,
  );
}

export async function userPage(id: string): Promise<HTMLElement> {
  const user = await call((headers) => client.api.GET("/v1/admin/users/{id}", { headers, params: { path: { id } } }));
  const [sessions, events, factors, identities] = await Promise.all([
    can("users:write")
      ? call((headers) => client.api.GET("/v1/admin/users/{id}/sessions", { headers, params: { path: { id } } })).then((r) => r.sessions)
      : Promise.resolve(null),
    call((headers) => client.api.GET("/v1/admin/audit", { headers, params: { query: { user_id: id, limit: 20 } } })),
    call((headers) => client.api.GET("/v1/admin/users/{id}/mfa", { headers, params: { path: { id } } })),
    call((headers) => client.api.GET("/v1/admin/users/{id}/identities", { headers, params: { path: { id } } })).then((r) => r.identities),
  ]);
  const line = status("action-status");

  const actions = can("users:write")
    ? h(
        "div",
        { className: "actions", id: "user-actions" },
        user.disabled
          ? action("enable", "Enable", line, async () => {
              await call((headers) => client.api.POST("/v1/admin/users/{id}/enable", { headers, params: { path: { id } } }));
              return "Enabled: the user can sign in again.";
            })
          : action("disable", "Disable", line, async () => {
              await call((headers) => client.api.POST("/v1/admin/users/{id}/disable", { headers, params: { path: { id } } }));
              return "Disabled: every session ended.";
            }, `Disable ${user.email}? Every session ends at once.`, true),
        action("unlock", "Unlock sign-in", line, async () => {
          await call((headers) => client.api.POST("/v1/admin/users/{id}/unlock", { headers, params: { path: { id } } }));
          return "Lockout lifted.";
        }),
        action("reset-mfa", "Reset MFA", line, async () => {
          await call((headers) => client.api.DELETE("/v1/admin/users/{id}/mfa", { headers, params: { path: { id } } }));
          return "Every second factor and recovery code removed.";
        }, `Remove every second factor of ${user.email}?`, true),
      )
    : null;

  return h(
    "section",
    { id: "user", dataset: { id: user.id } },
    h("p", { className: "crumbs" }, link("#/users", "Users"), " / "),
    h("h1", { id: "user-email" }, user.email),
    line,
    actions,
    h("div", { className: "columns" }, h("div", { className: "card" }, h("h2", {}, "Account"), details(user)), h("div", { className: "card" }, h("h2", {}, "Roles"), rolesEditor(user, line, changed))),
    h("div", { className: "card" }, h("h2", {}, "Second factors and linked identities"), waysIn(factors, identities)),
    sessions === null ? null : h("div", { className: "card" }, h("h2", {}, "Sessions"), sessionsTable(user, sessions, line)),
    h(
      "div",
      { className: "card" },
      h("h2", {}, "Security events"),
      eventTable(await eventRows(events.events), "user-events"),
      h("p", {}, link(`#/audit?user_id=${encodeURIComponent(user.id)}`, "All events of this user in the audit log")),
    ),
  );
}
