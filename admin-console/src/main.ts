// The admin console: sign-in (password, then TOTP or a recovery code when the
// account has a second factor), then the pages the caller's permissions
// allow. Hash routing (`#/users/<id>`), so authd serves one index.html.
import { caller, client, loadCaller } from "./api.ts";
import { h, link, setStatus } from "./dom.ts";
import { auditPage } from "./pages/audit.ts";
import { dashboardPage } from "./pages/dashboard.ts";
import { noAccessPage, signInPage } from "./pages/signin.ts";
import { userPage } from "./pages/user.ts";
import { usersPage } from "./pages/users.ts";

const app = document.querySelector<HTMLElement>("#app")!;
const nav = document.querySelector<HTMLElement>("#nav")!;

/** The route: path segments and query of the hash. */
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

function route(): Route {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?", 2);
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

function renderNav(current: string): void {
  nav.replaceChildren();
  if (!caller.user) return;
  if (caller.permissions.has("users:read")) {
    const items = [
      ["#/", "Dashboard", ""],
      ["#/users", "Users", "users"],
      ["#/audit", "Audit log", "audit"],
    ].map(([hash, text, key]) => {
      const a = link(hash, text);
      if (key === current) a.setAttribute("aria-current", "page");
      return h("li", {}, a);
    });
    nav.append(h("ul", {}, ...items));
  }
  const out = h("button", { type: "button", id: "sign-out", className: "link" }, "Sign out");
  out.addEventListener("click", async () => {
    try {
      await client.logout();
    } catch {
      client.setTokens(null);
    }
  });
  nav.append(h("span", { className: "who", id: "who" }, caller.user.email), out);
}

let rendering = 0;
/** The outcome of the last write action, shown in the next page's status line. */
let flash: string | null = null;

/** Draws the page of the current hash (the newest call wins). */
export async function render(): Promise<void> {
  const mine = ++rendering;
  const drawn = location.hash;
  const { parts, query } = route();
  let page: Node;
  if (!caller.user) {
    page = signInPage(signedIn);
    document.body.dataset.auth = "signed-out";
  } else if (!caller.permissions.has("users:read")) {
    page = noAccessPage();
    document.body.dataset.auth = "no-access";
  } else {
    document.body.dataset.auth = "signed-in";
    try {
      if (parts[0] === "users" && parts[1]) page = await userPage(parts[1]);
      else if (parts[0] === "users") page = await usersPage(query);
      else if (parts[0] === "audit") page = await auditPage(query);
      else page = await dashboardPage();
    } catch (err) {
      page = h("section", {}, h("h1", {}, "Something went wrong"), h("p", { className: "status error", id: "page-error" }, String(err instanceof Error ? err.message : err)));
    }
  }
  if (mine !== rendering) return;
  const said = flash;
  flash = null;
  const line = page instanceof HTMLElement ? page.querySelector<HTMLElement>("#action-status") : null;
  if (line && said) setStatus(line, "ok", said);
  renderNav(caller.user ? (parts[0] ?? "") : "");
  app.replaceChildren(page);
  document.title = `${(app.querySelector("h1")?.textContent ?? "authd").trim()} · authd admin`;
  document.body.dataset.page = caller.user ? (parts[0] === "users" && parts[1] ? "user" : (parts[0] ?? "dashboard")) : "sign-in";
  // The hash this page was drawn for (the browser test waits for it).
  document.body.dataset.route = drawn;
  document.body.dataset.ready = "true";
}

async function signedIn(): Promise<void> {
  await loadCaller();
  await render();
}

window.addEventListener("hashchange", () => void render());

// After a write action the page is drawn again from the API, with the
// action's outcome kept in its status line.
window.addEventListener("admin:changed", (e) => {
  flash = (e as CustomEvent<string | undefined>).detail ?? null;
  void render();
});

client.onAuthStateChange((event) => {
  if (event === "signed_out") {
    caller.user = null;
    caller.permissions = new Set();
    void render();
  }
});

async function start(): Promise<void> {
  try {
    // A session in the cookie (a reload, another tab) signs in at once.
    await client.refresh();
    await loadCaller();
  } catch {
    caller.user = null;
  }
  await render();
}

void start();
