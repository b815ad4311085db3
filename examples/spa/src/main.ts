// A small SPA against authd in browser mode: the refresh token lives in an
// HttpOnly cookie the page cannot read; the access token only in memory.
import { AuthdClient, AuthdError, type Tokens } from "@authd/client";

const AUTHD_URL: string = import.meta.env.VITE_AUTHD_URL ?? "http://localhost:8080";

const client = new AuthdClient({ baseUrl: AUTHD_URL, transport: "cookie" });
// Exposed for the browser test (examples/spa/test/browser.test.mjs).
(window as unknown as { authd: AuthdClient }).authd = client;

const app = document.querySelector<HTMLElement>("#app")!;
const nav = document.querySelector<HTMLElement>("#nav")!;
let tokens: Tokens | null = null;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  Object.assign(el, props);
  el.append(...children);
  return el;
}

function link(path: string, text: string): HTMLAnchorElement {
  const a = h("a", { href: path }, text);
  a.addEventListener("click", (e) => {
    e.preventDefault();
    go(path);
  });
  return a;
}

function go(path: string): void {
  history.pushState(null, "", path);
  void render();
}

function message(error: unknown): string {
  if (error instanceof AuthdError) {
    const fields = error.problem?.errors ? Object.values(error.problem.errors).flat().join("; ") : "";
    return `${error.problem?.detail ?? error.message}${fields ? ` (${fields})` : ""}`;
  }
  return String(error);
}

/** A form whose submit runs `action`; its outcome shows under it. */
function form(
  id: string,
  fields: { name: string; type: string; label: string; value?: string }[],
  submit: string,
  action: (values: Record<string, string>) => Promise<string | void>,
): HTMLFormElement {
  const status = h("p", { id: `${id}-status` });
  const f = h(
    "form",
    { id },
    ...fields.map((field) =>
      h("label", {}, field.label, h("input", { name: field.name, type: field.type, value: field.value ?? "", required: true })),
    ),
    h("button", { type: "submit" }, submit),
    status,
  );
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = Object.fromEntries(new FormData(f)) as Record<string, string>;
    status.className = "";
    status.textContent = "…";
    try {
      const done = await action(values);
      status.className = "ok";
      status.textContent = done ?? "Done.";
    } catch (err) {
      status.className = "error";
      status.textContent = message(err);
    }
  });
  return f;
}

function renderNav(): void {
  nav.replaceChildren(
    ...(tokens
      ? [link("/profile", "Profile"), link("/sessions", "Sessions"), link("/logout", "Log out")]
      : [link("/login", "Log in"), link("/register", "Register"), link("/forgot-password", "Forgot password")]),
  );
}

const pages: Record<string, () => Promise<Node[]> | Node[]> = {
  "/register": () => [
    h("h1", {}, "Register"),
    form(
      "register",
      [
        { name: "email", type: "email", label: "Email" },
        { name: "password", type: "password", label: "Password" },
      ],
      "Register",
      async ({ email, password }) => {
        await client.register(email!, password!);
        return "Check your mail for the verification link.";
      },
    ),
  ],
  "/verify-email": async () => {
    const token = new URLSearchParams(location.search).get("token") ?? "";
    try {
      const user = await client.verifyEmail(token);
      return [h("h1", {}, "Email verified"), h("p", { id: "verified", className: "ok" }, `${user.email} is verified. `, link("/login", "Log in"))];
    } catch (err) {
      return [h("h1", {}, "Verification failed"), h("p", { id: "verified", className: "error" }, message(err))];
    }
  },
  "/login": () => [
    h("h1", {}, "Log in"),
    form(
      "login",
      [
        { name: "email", type: "email", label: "Email" },
        { name: "password", type: "password", label: "Password" },
      ],
      "Log in",
      async ({ email, password }) => {
        await client.login(email!, password!);
        go("/profile");
      },
    ),
  ],
  "/profile": async () => {
    if (!tokens) return [h("p", {}, "Not logged in. ", link("/login", "Log in"))];
    const me = await client.me();
    return [
      h("h1", {}, "Profile"),
      h(
        "dl",
        { id: "profile" },
        h("dt", {}, "Email"),
        h("dd", { id: "profile-email" }, me.email),
        h("dt", {}, "Roles"),
        h("dd", {}, me.roles.join(", ")),
        h("dt", {}, "Verified"),
        h("dd", {}, String(me.email_verified)),
      ),
    ];
  },
  "/sessions": async () => {
    if (!tokens) return [h("p", {}, "Not logged in. ", link("/login", "Log in"))];
    const sessions = await client.sessions();
    const rows = sessions.map((s) => {
      const revoke = h("button", { className: "revoke" }, s.current ? "Revoke (this one)" : "Revoke");
      revoke.dataset.id = s.id;
      revoke.addEventListener("click", async () => {
        await client.revokeSession(s.id);
        if (s.current) {
          client.setTokens(null);
          go("/login");
        } else {
          void render();
        }
      });
      return h("tr", { className: "session" }, h("td", {}, s.created_at), h("td", {}, s.user_agent ?? "?"), h("td", {}, s.current ? "current" : ""), h("td", {}, revoke));
    });
    return [h("h1", {}, "Sessions"), h("table", { id: "sessions" }, h("tbody", {}, ...rows))];
  },
  "/forgot-password": () => [
    h("h1", {}, "Forgot password"),
    form("forgot", [{ name: "email", type: "email", label: "Email" }], "Send reset link", async ({ email }) => {
      await client.requestPasswordReset(email!);
      return "If the account exists, a reset link is on its way.";
    }),
  ],
  "/reset-password": () => {
    const token = new URLSearchParams(location.search).get("token") ?? "";
    if (!token) return [h("p", {}, "This page is opened from the link in the mail. ", link("/forgot-password", "Ask for one"))];
    return [
      h("h1", {}, "Choose a new password"),
      form("reset", [{ name: "password", type: "password", label: "New password" }], "Set password", async ({ password }) => {
        await client.confirmPasswordReset(token, password!);
        return "Password changed; every session was logged out. Log in again.";
      }),
    ];
  },
  "/logout": async () => {
    if (tokens) await client.logout();
    return [h("h1", {}, "Logged out"), h("p", { id: "logged-out" }, "See you. ", link("/login", "Log in"))];
  },
  "/": () => (tokens ? pages["/profile"]!() : [h("h1", {}, "authd example"), h("p", {}, link("/login", "Log in"), " or ", link("/register", "register"))]),
};

async function render(): Promise<void> {
  renderNav();
  const page = pages[location.pathname] ?? (() => [h("h1", {}, "Not found")]);
  try {
    app.replaceChildren(...(await page()));
  } catch (err) {
    app.replaceChildren(h("p", { className: "error" }, message(err)));
  }
  renderNav();
}

// Another tab logged in, refreshed or out: follow it.
client.onAuthStateChange((event, next) => {
  tokens = next;
  document.body.dataset.auth = next ? "signed-in" : "signed-out";
  if (event === "signed_out" && ["/profile", "/sessions"].includes(location.pathname)) go("/login");
  else renderNav();
});
window.addEventListener("popstate", () => void render());

// After a reload the access token is gone: the cookie (if any) gets a new one.
try {
  tokens = await client.refresh();
} catch {
  tokens = null;
}
document.body.dataset.auth = tokens ? "signed-in" : "signed-out";
await render();
document.body.dataset.ready = "true";
