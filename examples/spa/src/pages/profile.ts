// Profile: name and mail language (PATCH /v1/me), the email address and a
// change of it (POST /v1/me/email, pending until the new address confirms:
// GET /v1/me/email says so, in every tab and after a reload), and the pages
// the email-change mails link to.
import type { User } from "@authd/client";

import { authed, claims, client, unwrap } from "../lib/api.ts";
import { attrs, card, form, h, link, statusLine } from "../lib/dom.ts";
import { explain } from "../lib/errors.ts";
import { timeEl } from "../lib/format.ts";

/** The languages authd has built-in mail for (templates/mail/). */
const LOCALES: [string, string][] = [
  ["", "Server default"],
  ["en", "English"],
  ["de", "Deutsch"],
  ["es", "Español"],
  ["fr", "Français"],
];

/** The address and a change waiting for its confirmation, if any (GET /v1/me/email). */
async function emailState() {
  return authed((headers) => client.api.GET("/v1/me/email", { headers }));
}

/** "Waiting for confirmation …": the pending address and until when its link works. */
function pendingNote(pending: { email: string; expires_at: string }, current: string): HTMLElement {
  return attrs(
    h(
      "p",
      { id: "email-pending", className: "notice" },
      `Waiting for confirmation: a link went to ${pending.email}. Nothing changes until it is opened; the link expires `,
      timeEl(pending.expires_at),
      `. Until then mail still goes to ${current}.`,
    ),
    { role: "status" },
  );
}

function initials(user: User): string {
  const source = user.display_name?.trim() || user.email;
  const words = source.split(/[\s@._-]+/).filter(Boolean);
  return ((words[0]?.[0] ?? "?") + (user.display_name ? (words[1]?.[0] ?? "") : "")).toUpperCase();
}

const HOW: Record<string, string> = { pwd: "password", email: "email", hwk: "passkey", swk: "passkey", fed: "provider", otp: "authenticator code", mfa: "" };

function signedInWith(): string {
  const c = claims();
  if (!c?.amr) return "";
  const ways = [...new Set(c.amr.map((m) => HOW[m] ?? m).filter(Boolean))];
  return `Signed in with ${ways.join(" + ")}${c.aal === "aal2" ? " (two factors)" : ""}.`;
}

export async function profilePage(): Promise<Node[]> {
  const [me, address] = await Promise.all([client.me(), emailState()]);

  const summary = h(
    "div",
    { className: "summary" },
    attrs(h("span", { className: "avatar" }, initials(me)), { "aria-hidden": "true" }),
    h(
      "div",
      {},
      h("p", { className: "name" }, me.display_name || me.email),
      h("p", { className: "muted" }, `Member since `, timeEl(me.created_at), ". ", signedInWith()),
    ),
  );

  const details = h(
    "dl",
    { id: "profile", className: "facts" },
    h("dt", {}, "Email"),
    h("dd", {}, h("span", { id: "profile-email" }, me.email), " ", me.email_verified ? h("span", { className: "badge ok" }, "verified") : h("span", { className: "badge warn" }, "not verified")),
    h("dt", {}, "Roles"),
    h("dd", {}, me.roles.join(", ") || "none"),
    h("dt", {}, "Last sign-in"),
    h("dd", {}, timeEl(me.last_login_at)),
  );

  const profileForm = form(
    "profile-form",
    [
      { name: "display_name", type: "text", label: "Name", autocomplete: "name", value: me.display_name ?? "", required: false, maxLength: 100 },
      { name: "locale", type: "select", label: "Language of your mail", autocomplete: "language", value: me.locale ?? "", options: LOCALES },
    ],
    "Save",
    async ({ display_name, locale }) => {
      const user = await client.updateMe({ display_name: display_name?.trim() || null, locale: locale || null });
      return `Saved. Mail comes in ${LOCALES.find(([v]) => v === (user.locale ?? ""))?.[1] ?? user.locale}.`;
    },
    { say: explain },
  );

  const emailCard = card(
    "Email address",
    "email",
    h("p", {}, "You sign in and get mail at ", h("strong", {}, me.email), "."),
    address.pending ? pendingNote(address.pending, address.email) : null,
    form(
      "email-change",
      [
        { name: "new_email", type: "email", label: "New email address", autocomplete: "email" },
        { name: "password", type: "password", label: "Current password", autocomplete: "current-password", hint: "An account without a password sets one under Security first." },
      ],
      "Send confirmation link",
      async ({ new_email, password }, f) => {
        await authed((headers) => client.api.POST("/v1/me/email", { headers, body: { new_email: new_email!, password: password! } }));
        f.reset();
        // What authd holds now (a taken address is answered the same way, so
        // the page shows what the server says, not what was typed).
        const now = await emailState();
        emailCard.querySelector("#email-pending")?.remove();
        if (now.pending) f.before(pendingNote(now.pending, now.email));
        return "Check the new address's inbox for the confirmation link.";
      },
      { say: explain, secondary: true },
    ),
  );

  return [
    h("h1", { tabIndex: -1 }, "Profile"),
    summary,
    card("Account", "account", details),
    card("Name and language", "profile-settings", profileForm),
    emailCard,
  ];
}

/** The pages the email-change mails link to (signed in or not). */
function tokenPage(title: string, done: (user: User) => string, path: "/v1/auth/email-change/confirm" | "/v1/auth/email-change/revert") {
  return async (): Promise<Node[]> => {
    const token = new URLSearchParams(location.search).get("token") ?? "";
    history.replaceState(null, "", location.pathname);
    const status = statusLine("email-change-status");
    try {
      const user = unwrap(await client.api.POST(path, { body: { token } }));
      status.className = "status ok";
      status.textContent = done(user);
      // A revert ends every session, this one too.
      if (path === "/v1/auth/email-change/revert") client.setTokens(null);
    } catch (err) {
      status.className = "status error";
      status.textContent = explain(err);
    }
    return [h("h1", { tabIndex: -1 }, title), status, h("p", {}, link(client.tokens ? "/profile" : "/login", client.tokens ? "Back to your profile" : "Sign in"))];
  };
}

export const emailChangePages = {
  "/confirm-email-change": {
    title: "Confirm email change",
    render: tokenPage("Confirm your new address", (u) => `Done: you sign in with ${u.email} from now on.`, "/v1/auth/email-change/confirm"),
  },
  "/revert-email-change": {
    title: "Undo email change",
    render: tokenPage("Undo the email change", (u) => `${u.email} is back. Every session was ended; a link to choose a new password went there.`, "/v1/auth/email-change/revert"),
  },
};
