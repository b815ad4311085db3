// The account portal: a small SPA against authd in browser mode. The
// refresh token lives in an HttpOnly cookie the page cannot read; the
// access token only in memory (lib/api.ts). This file is the router and
// the frame: which page, which navigation, focus and title.
import { client, signedIn } from "./lib/api.ts";
import { attrs, h, link, setNavigate, setRedraw } from "./lib/dom.ts";
import { message } from "./lib/errors.ts";
import { activityPage } from "./pages/activity.ts";
import { connectionsPage } from "./pages/connections.ts";
import { emailChangePages, profilePage } from "./pages/profile.ts";
import { securityPage } from "./pages/security.ts";
import { sessionsPage } from "./pages/sessions.ts";
import { offerPasskeys, publicPages, setRenderPath, setShowPage, stopAutofill } from "./pages/signin.ts";

type Render = () => Node[] | Promise<Node[]>;
interface Route {
  title: string;
  render: Render;
  /** Needs a signed-in user. */
  account?: boolean;
}

async function logoutPage(): Promise<Node[]> {
  if (signedIn()) await client.logout();
  return [h("h1", { tabIndex: -1 }, "Signed out"), attrs(h("p", { id: "logged-out", className: "status ok" }, "You are signed out on this device. "), { role: "status" }), h("p", {}, link("/login", "Sign in again"))];
}

const ACCOUNT_NAV: [string, string][] = [
  ["/profile", "Profile"],
  ["/security", "Security"],
  ["/sessions", "Sessions"],
  ["/connections", "Sign-in methods"],
  ["/activity", "Activity"],
];

const routes: Record<string, Route> = {
  ...publicPages,
  ...emailChangePages,
  "/profile": { title: "Profile", render: profilePage, account: true },
  "/security": { title: "Security", render: securityPage, account: true },
  "/sessions": { title: "Sessions", render: sessionsPage, account: true },
  "/connections": { title: "Sign-in methods", render: connectionsPage, account: true },
  "/activity": { title: "Activity", render: activityPage, account: true },
  "/logout": { title: "Signed out", render: logoutPage },
};

const app = document.querySelector<HTMLElement>("#app")!;
const nav = document.querySelector<HTMLElement>("#nav")!;
let firstRender = true;

function navLink(path: string, text: string): HTMLAnchorElement {
  const a = link(path, text);
  if (location.pathname === path) a.setAttribute("aria-current", "page");
  return a;
}

function renderNav(): void {
  const items = signedIn()
    ? [...ACCOUNT_NAV.map(([path, text]) => navLink(path, text)), navLink("/logout", "Sign out")]
    : [navLink("/login", "Sign in"), navLink("/register", "Create account")];
  nav.replaceChildren(h("ul", {}, ...items.map((a) => h("li", {}, a))));
  nav.className = signedIn() ? "account-nav" : "public-nav";
}

/** Puts a page's nodes on screen, in the frame its kind uses. */
function show(nodes: Node[]): void {
  app.replaceChildren(h("div", { className: "page" }, ...nodes));
  // After a navigation (not the first load) focus the new heading, so a
  // screen reader announces the page.
  const heading = app.querySelector<HTMLElement>("h1");
  if (!firstRender && heading && !app.contains(document.activeElement)) heading.focus({ preventScroll: true });
}

async function render(): Promise<void> {
  stopAutofill();
  let path = location.pathname;
  if (path === "/" || path === "/index.html") {
    path = signedIn() ? "/profile" : "/login";
    history.replaceState(null, "", path);
  }
  let route = routes[path];
  if (route?.account && !signedIn()) {
    history.replaceState(null, "", "/login");
    route = routes["/login"];
  }
  const current = route ?? { title: "Not found", render: () => [h("h1", { tabIndex: -1 }, "Not found"), h("p", {}, link("/", "Go to the start"))] };
  document.body.dataset.layout = current.account ? "account" : "auth";
  document.title = `${current.title} · Account`;
  renderNav();
  app.setAttribute("aria-busy", "true");
  try {
    show(await current.render());
  } catch (err) {
    show([h("h1", { tabIndex: -1 }, current.title), attrs(h("p", { className: "status error" }, message(err)), { role: "alert" })]);
  }
  app.removeAttribute("aria-busy");
  // The page may have signed in or out (a mail link, a provider).
  document.body.dataset.layout = routes[location.pathname]?.account ? "account" : "auth";
  renderNav();
  document.body.dataset.page = location.pathname.slice(1).replace(/\//g, "-") || "home";
  firstRender = false;
  // A page with a passkey-aware field offers the passkeys in its autofill.
  const status = app.querySelector<HTMLElement>("#passkey-status");
  if (status && app.querySelector('input[autocomplete~="webauthn"]')) void offerPasskeys(status);
}

function go(path: string): void {
  history.pushState(null, "", path);
  void render();
}

setNavigate(go);
setRedraw(() => void render());
setShowPage((nodes) => show(nodes));
setRenderPath(async (path) => routes[path]!.render());

// Another tab signed in, refreshed or out: follow it.
client.onAuthStateChange((event, next) => {
  document.body.dataset.auth = next ? "signed-in" : "signed-out";
  if (event === "signed_out" && routes[location.pathname]?.account) go("/login");
  else renderNav();
});
window.addEventListener("popstate", () => void render());
// The mail's link pasted into the tab that asked for it changes only the fragment.
window.addEventListener("hashchange", () => {
  if (location.pathname === "/email-login" && location.hash.includes("token=")) void render();
});

// After a reload the access token is gone: the cookie (if any) gets a new one.
try {
  await client.refresh();
} catch {
  // Signed out.
}
document.body.dataset.auth = signedIn() ? "signed-in" : "signed-out";
await render();
document.body.dataset.ready = "true";
