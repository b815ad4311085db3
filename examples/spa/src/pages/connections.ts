// Sign-in methods: the ways into the account (password, passkeys, email
// link) and the linked providers (link, unlink).
import { authed, client } from "../lib/api.ts";
import { actionButton, attrs, card, h, link, redraw, statusLine } from "../lib/dom.ts";
import { explain } from "../lib/errors.ts";
import { timeEl } from "../lib/format.ts";
import { OAUTH_REDIRECT, providers, toProvider } from "./signin.ts";

let notice: string | null = null;

export async function connectionsPage(): Promise<Node[]> {
  const [{ identities }, mfa, available] = await Promise.all([
    authed((headers) => client.api.GET("/v1/me/identities", { headers })),
    authed((headers) => client.api.GET("/v1/me/mfa", { headers })),
    providers(),
  ]);
  if (new URLSearchParams(location.search).has("linked")) {
    history.replaceState(null, "", location.pathname);
    notice = "Provider linked: you can sign in with it now.";
  }
  const said = notice;
  notice = null;
  const passkeys = mfa.factors.filter((f) => f.type === "passkey").length;
  const names = new Map(available.map((p) => [p.name, p.display_name]));

  const ways = h(
    "ul",
    { id: "ways-in", className: "list" },
    h("li", { className: "item way", id: "way-password" }, h("div", {}, h("p", { className: "item-title" }, "Password"), h("p", { className: "muted" }, "With your email address. ", link("/security", "Change it, or set one")))),
    h("li", { className: "item way", id: "way-email" }, h("div", {}, h("p", { className: "item-title" }, "Email link or code"), h("p", { className: "muted" }, "A one-time link or code sent to your address."))),
    h(
      "li",
      { className: "item way", id: "way-passkey" },
      h("div", {}, h("p", { className: "item-title" }, "Passkeys"), h("p", { className: "muted" }, passkeys ? `${passkeys} passkey${passkeys === 1 ? "" : "s"}. ` : "None yet. ", link("/security", "Manage passkeys"))),
    ),
  );

  const rows = identities.map((identity) => {
    const label = names.get(identity.provider) ?? identity.provider;
    const status = statusLine(`identity-${identity.id}-status`);
    const unlink = actionButton("Unlink", { className: "danger small unlink" }, status, async () => {
      await authed((headers) => client.api.DELETE("/v1/me/identities/{id}", { headers, params: { path: { id: identity.id } } }));
      notice = `${label} unlinked.`;
      redraw();
    }, explain);
    attrs(unlink, { "aria-label": `Unlink ${label}` });
    return h(
      "li",
      { className: "item identity" },
      h("div", {}, h("p", { className: "item-title" }, label), h("p", { className: "muted" }, identity.email ?? "", " · linked ", timeEl(identity.created_at))),
      unlink,
      status,
    );
  });

  const linkStatus = statusLine("link-status");
  const linked = new Set(identities.map((i) => i.provider));
  const linkButtons = available.filter((p) => !linked.has(p.name)).map((p) =>
    actionButton(`Link ${p.display_name}`, { className: "secondary link-provider", name: p.name }, linkStatus, async () => {
      const started = await authed((headers) =>
        client.api.POST("/v1/me/identities/{provider}/start", { headers, params: { path: { provider: p.name } }, body: { redirect_uri: OAUTH_REDIRECT } }),
      );
      toProvider("link", p.name, started.authorization_url);
    }, explain),
  );

  return [
    h("h1", { tabIndex: -1 }, "Sign-in methods"),
    said ? attrs(h("p", { id: "connections-notice", className: "status ok" }, said), { role: "status" }) : null,
    card("Ways in", "ways", ways),
    available.length > 0
      ? card(
          "Linked providers",
          "identities-card",
          h("p", { className: "muted" }, "Sign in with an account you have elsewhere. The last way in cannot be unlinked."),
          identities.length ? h("ul", { id: "identities", className: "list" }, ...rows) : h("p", { id: "identities" }, "None linked."),
          h("div", { className: "actions", id: "link-providers" }, ...linkButtons),
          linkStatus,
        )
      : null,
  ].filter((n): n is HTMLElement => n !== null);
}
