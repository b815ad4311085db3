// Sign-in: password, then the second factor when the account has one; and
// the page for a signed-in account whose roles give no admin permission.
import { MfaRequiredError } from "@authd/client";

import { caller, client, codeOf, explain } from "../api.ts";
import { field, h, setStatus, status } from "../dom.ts";

function input(name: string, type: string, autocomplete: string, extra: Partial<Omit<HTMLInputElement, "dataset">> = {}): HTMLInputElement {
  const el = h("input", { name, type, required: true, ...extra });
  el.setAttribute("autocomplete", autocomplete);
  return el;
}

function originHint(err: unknown): string {
  // Cookie mode accepts the issuer's origin (where the console is meant to
  // be opened) and the origins AUTH_CORS_ORIGINS lists.
  return codeOf(err) === "forbidden"
    ? `authd refused this origin for a browser sign-in: open the console at the address of AUTH_ISSUER, or add ${location.origin} to AUTH_CORS_ORIGINS.`
    : explain(err);
}

export function signInPage(done: () => Promise<void>): HTMLElement {
  const section = h("section", { className: "card narrow" }, h("h1", {}, "Sign in"));
  const email = input("email", "email", "username");
  const password = input("password", "password", "current-password");
  const state = status("sign-in-status");
  const form = h(
    "form",
    { id: "sign-in" },
    field("Email", email),
    field("Password", password),
    h("button", { type: "submit", className: "primary" }, "Sign in"),
    state,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    setStatus(state, "busy", "Signing in…");
    try {
      await client.login(email.value, password.value);
      await done();
    } catch (err) {
      if (err instanceof MfaRequiredError) {
        section.replaceChildren(h("h1", {}, "Second step"), secondStep(err, done));
        section.querySelector("input")?.focus();
        return;
      }
      setStatus(state, "error", originHint(err), codeOf(err));
    }
  });
  section.append(form, h("p", { className: "muted" }, "Sign in with an account whose roles allow the admin API (users:read)."));
  return section;
}

function secondStep(challenge: MfaRequiredError, done: () => Promise<void>): HTMLElement {
  const wrap = h("div");
  const hasTotp = challenge.factors.some((f) => f.type === "totp");
  let recovery = !hasTotp;
  const draw = (): void => {
    const code = recovery
      ? input("recovery_code", "text", "one-time-code", { id: "recovery-code", spellcheck: false })
      : input("code", "text", "one-time-code", { id: "mfa-code", inputMode: "numeric", pattern: "[0-9]{6}", maxLength: 6 });
    const state = status("mfa-status");
    const form = h(
      "form",
      { id: "mfa" },
      h("p", {}, recovery ? "Enter one of your recovery codes." : "Enter the 6-digit code of your authenticator app."),
      field(recovery ? "Recovery code" : "Code", code),
      h("button", { type: "submit", className: "primary" }, "Verify"),
      state,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      setStatus(state, "busy", "Checking…");
      try {
        await client.verifyMfa(challenge.mfaToken, recovery ? { recoveryCode: code.value.trim() } : { code: code.value.trim() });
        await done();
      } catch (err) {
        setStatus(state, "error", explain(err), codeOf(err));
      }
    });
    const other = h("button", { type: "button", className: "link", id: "mfa-switch" }, recovery ? "Use the authenticator app" : "Use a recovery code");
    other.addEventListener("click", () => {
      recovery = !recovery;
      draw();
    });
    wrap.replaceChildren(form, hasTotp ? other : "");
  };
  draw();
  return wrap;
}

export function noAccessPage(): HTMLElement {
  return h(
    "section",
    { className: "card narrow", id: "no-access" },
    h("h1", {}, "No admin access"),
    h("p", {}, `You are signed in as ${caller.user?.email ?? "?"}, whose roles (${caller.user?.roles.join(", ") || "none"}) do not allow reading users (users:read).`),
    h("p", { className: "muted" }, "An admin can give you a role that does, then sign in again."),
  );
}
