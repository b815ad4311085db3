// The signed-out pages: sign in (password, passkey, email link or code,
// providers), the second step, sign up, verify, forgot and reset.
import { AuthdError, MfaRequiredError, type Schemas, type Tokens } from "@authd/client";

import { authed, client, unwrap } from "../lib/api.ts";
import { actionButton, attrs, form, go, h, link, showError, statusLine } from "../lib/dom.ts";
import { explain } from "../lib/errors.ts";
import { passkeySecondStep, passkeySignIn } from "../lib/webauthn.ts";

type Page = Node[] | Promise<Node[]>;

const passkeyUnknown = (e: unknown) => (e instanceof AuthdError && e.code === "invalid_credentials" ? "That passkey is not known here." : explain(e));

// ---- passkeys in the autofill -------------------------------------------

/** The pending conditional request of the page on screen, if any. */
let autofill: AbortController | null = null;

export function stopAutofill(): void {
  autofill?.abort();
  autofill = null;
}

/**
 * Offers the user's passkeys in the autofill of the page's
 * `autocomplete="username webauthn"` field, where the browser can.
 */
export async function offerPasskeys(status: HTMLElement): Promise<void> {
  stopAutofill();
  const controller = new AbortController();
  autofill = controller;
  const available = await window.PublicKeyCredential?.isConditionalMediationAvailable?.();
  if (!available || controller.signal.aborted) return;
  try {
    await passkeySignIn("conditional", controller.signal);
    go("/profile");
  } catch (err) {
    if (controller.signal.aborted) return;
    showError(status, err, passkeyUnknown);
  } finally {
    if (autofill === controller) autofill = null;
  }
}

function passkeyButton(): Node[] {
  const status = statusLine("passkey-status");
  const button = actionButton("Sign in with a passkey", { id: "passkey-signin", className: "secondary wide" }, status, async () => {
    // One WebAuthn request at a time: the modal one replaces the autofill.
    stopAutofill();
    await passkeySignIn();
    go("/profile");
  }, passkeyUnknown);
  return [button, status];
}

// ---- providers ----------------------------------------------------------

const OAUTH_PENDING = "authd:oauth";
export const OAUTH_REDIRECT = `${location.origin}/oauth/callback`;

let providerList: Promise<Schemas["OAuthProvider"][]> | null = null;

/** The configured providers (asked once per page load). */
export function providers(): Promise<Schemas["OAuthProvider"][]> {
  providerList ??= client.api
    .GET("/v1/auth/oauth/providers")
    .then((outcome) => unwrap(outcome).providers)
    .catch(() => []);
  return providerList;
}

/** Remembers what the provider's redirect comes back for, then goes there. */
export function toProvider(mode: "login" | "link", provider: string, authorizationUrl: string): void {
  sessionStorage.setItem(OAUTH_PENDING, JSON.stringify({ mode, provider }));
  location.assign(authorizationUrl);
}

async function providerButtons(verb: string): Promise<Node[]> {
  const list = await providers();
  if (list.length === 0) return [];
  const status = statusLine("provider-status");
  const buttons = list.map((p) =>
    actionButton(`${verb} with ${p.display_name}`, { className: "secondary wide provider", name: p.name }, status, async () => {
      const started = unwrap(await client.api.POST("/v1/auth/oauth/{provider}/start", { params: { path: { provider: p.name } }, body: { redirect_uri: OAUTH_REDIRECT } }));
      toProvider("login", p.name, started.authorization_url);
    }, explain),
  );
  return [h("div", { className: "providers", id: "providers" }, ...buttons), status];
}

/** The page the provider sends the browser back to: `?code&state[&iss]` or `?error`. */
async function oauthCallback(): Promise<Node[]> {
  const query = new URLSearchParams(location.search);
  // The code is single use, but out of the address bar and the history all the same.
  history.replaceState(null, "", location.pathname);
  const pending = JSON.parse(sessionStorage.getItem(OAUTH_PENDING) ?? "null") as { mode: string; provider: string } | null;
  sessionStorage.removeItem(OAUTH_PENDING);
  const status = statusLine("oauth-status");
  const fail = (text: string): Node[] => {
    status.className = "status error";
    status.textContent = text;
    return [h("h1", {}, "Provider sign-in"), status, h("p", {}, link(pending?.mode === "link" ? "/connections" : "/login", "Back"))];
  };
  if (!pending) return fail("This page is where a provider sends you back to; no sign-in was started here.");
  if (query.get("error")) return fail(`The provider said: ${query.get("error_description") ?? query.get("error")}.`);
  const body = { code: query.get("code") ?? "", state: query.get("state") ?? "", iss: query.get("iss") };
  const path = { provider: pending.provider };
  try {
    if (pending.mode === "link") {
      await authed((headers) => client.api.POST("/v1/me/identities/{provider}/callback", { params: { path }, headers, body }));
      history.replaceState(null, "", "/connections?linked=1");
      return renderPath("/connections");
    }
    const answer = unwrap(await client.api.POST("/v1/auth/oauth/{provider}/callback", { params: { path }, body }));
    if ("mfa_required" in answer) return secondStep(new MfaRequiredError(answer as Schemas["MfaChallenge"]));
    client.setTokens(answer as Tokens);
    history.replaceState(null, "", "/profile");
    return renderPath("/profile");
  } catch (err) {
    showError(status, err, explain);
    return [h("h1", {}, "Provider sign-in"), status, h("p", {}, link(pending.mode === "link" ? "/connections" : "/login", "Back"))];
  }
}

// ---- the second step ----------------------------------------------------

let showPage: (nodes: Node[]) => void = () => {};
let renderPath: (path: string) => Promise<Node[]> = async () => [];

/** How a page draws another route's content in its place (set by main.ts). */
export function setRenderPath(fn: (path: string) => Promise<Node[]>): void {
  renderPath = fn;
}

/** How a form replaces the page (set by main.ts). */
export function setShowPage(fn: (nodes: Node[]) => void): void {
  showPage = fn;
}

export function showSecondStep(challenge: MfaRequiredError): void {
  stopAutofill();
  showPage(secondStep(challenge));
}

/** The §9 second step, after a password, a mail or a provider proved the first. */
export function secondStep(challenge: MfaRequiredError): Node[] {
  const kinds = new Set(challenge.factors.map((f) => f.type));
  const nodes: Node[] = [h("h1", { tabIndex: -1 }, "Second step"), h("p", { className: "lead" }, "Your account has two-factor authentication. Confirm it is you.")];
  if (kinds.has("passkey")) {
    const status = statusLine("mfa-passkey-status");
    nodes.push(
      actionButton("Use your passkey", { id: "mfa-passkey", className: "primary wide" }, status, async () => {
        await passkeySecondStep(challenge.mfaToken);
        go("/profile");
      }, explain),
      status,
    );
  }
  if (kinds.has("totp")) {
    nodes.push(
      form(
        "mfa-code",
        [{ name: "code", type: "text", label: "Code from your authenticator app", autocomplete: "one-time-code", inputMode: "numeric", pattern: "[0-9]{6}", maxLength: 6 }],
        "Verify",
        async ({ code }) => {
          await client.verifyMfa(challenge.mfaToken, { code: code!.trim() });
          go("/profile");
        },
        { say: explain },
      ),
    );
  }
  nodes.push(
    h(
      "details",
      { className: "recovery" },
      h("summary", {}, "Lost your device? Use a recovery code"),
      form(
        "mfa-recovery",
        [{ name: "recovery", type: "text", label: "Recovery code", autocomplete: "off", hint: "One of the codes you saved when you set up two-factor authentication. Each works once." }],
        "Use recovery code",
        async ({ recovery }) => {
          await client.verifyMfa(challenge.mfaToken, { recoveryCode: recovery!.trim() });
          go("/profile");
        },
        { say: explain, secondary: true },
      ),
    ),
  );
  return nodes;
}

// ---- the pages ----------------------------------------------------------

const emailField = { name: "email", type: "email", label: "Email", autocomplete: "username webauthn" };

async function loginPage(): Promise<Node[]> {
  return [
    h("h1", { tabIndex: -1 }, "Sign in"),
    form(
      "login",
      [emailField, { name: "password", type: "password", label: "Password", autocomplete: "current-password" }],
      "Sign in",
      async ({ email, password }) => {
        await client.login(email!, password!);
        go("/profile");
      },
      { onMfa: showSecondStep, say: explain, extra: [h("p", { className: "aside" }, link("/forgot-password", "Forgot your password?"))] },
    ),
    h("div", { className: "divider", role: "separator" }, "or"),
    ...passkeyButton(),
    h("p", {}, link("/email-login", "Email me a sign-in link", "button secondary wide")),
    ...(await providerButtons("Continue")),
    h("p", { className: "aside" }, "New here? ", link("/register", "Create an account")),
  ];
}

async function registerPage(): Promise<Node[]> {
  return [
    h("h1", { tabIndex: -1 }, "Create an account"),
    form(
      "register",
      [
        { name: "email", type: "email", label: "Email", autocomplete: "username" },
        { name: "display_name", type: "text", label: "Name (optional)", autocomplete: "name", required: false, maxLength: 100 },
        { name: "password", type: "password", label: "Password", autocomplete: "new-password", minLength: 8, hint: "At least 8 characters. A long passphrase is best." },
      ],
      "Create account",
      async ({ email, display_name, password }) => {
        await client.register(email!, password!, display_name?.trim() || undefined, navigator.language);
        return "Check your mail for the verification link.";
      },
      { say: explain },
    ),
    h("div", { className: "divider", role: "separator" }, "or"),
    h("p", {}, link("/email-login", "Sign up with an email link (no password)", "button secondary wide")),
    ...(await providerButtons("Sign up")),
    h("p", { className: "aside" }, "Have an account? ", link("/login", "Sign in")),
  ];
}

/** The "check your mail" state: the code, for when the link opens elsewhere. */
function checkYourMail(email: string): Node[] {
  return [
    h("h1", { tabIndex: -1 }, "Check your mail"),
    attrs(h("p", { id: "email-login-sent", className: "status ok" }, `If sign-in by email is open to ${email}, a mail is on its way. Open its link on this device, or type its 6-digit code here.`), { role: "status" }),
    form(
      "email-code",
      [{ name: "code", type: "text", label: "Code from the mail", autocomplete: "one-time-code", inputMode: "numeric", pattern: "[0-9]{6}", maxLength: 6 }],
      "Sign in",
      async ({ code }) => {
        await client.verifyEmailLogin({ email, code: code!.trim() });
        go("/profile");
      },
      { say: explain, onMfa: showSecondStep },
    ),
    h("p", { className: "aside" }, link("/email-login", "Use another address or send a new mail")),
  ];
}

/** The page the mail's link opens: the token is in the fragment, never sent by a GET. */
async function finishEmailLink(token: string): Promise<Node[]> {
  // Out of the address bar and the history before anything else.
  history.replaceState(null, "", location.pathname);
  try {
    await client.verifyEmailLogin({ token });
    history.replaceState(null, "", "/profile");
    return renderPath("/profile");
  } catch (err) {
    if (err instanceof MfaRequiredError) return secondStep(err);
    const status = statusLine("email-link-status");
    showError(status, err, explain);
    return [h("h1", { tabIndex: -1 }, "Sign-in link"), status, h("p", {}, link("/email-login", "Send a new mail"))];
  }
}

function emailLoginPage(): Page {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (token) return finishEmailLink(token);
  return [
    h("h1", { tabIndex: -1 }, "Sign in with email"),
    h("p", { className: "lead" }, "We mail you a link and a code. No account yet? The same mail creates one."),
    form(
      "email-login",
      [emailField],
      "Email me a sign-in link",
      async ({ email }) => {
        await client.startEmailLogin(email!, navigator.language);
        stopAutofill();
        showPage(checkYourMail(email!));
      },
      { say: explain },
    ),
    h("div", { className: "divider", role: "separator" }, "or"),
    ...passkeyButton(),
    h("p", { className: "aside" }, link("/login", "Sign in with a password")),
  ];
}

async function verifyEmailPage(): Promise<Node[]> {
  const token = new URLSearchParams(location.search).get("token") ?? "";
  try {
    const user = await client.verifyEmail(token);
    return [h("h1", { tabIndex: -1 }, "Email verified"), attrs(h("p", { id: "verified", className: "status ok" }, `${user.email} is verified. `, link("/login", "Sign in")), { role: "status" })];
  } catch (err) {
    return [h("h1", { tabIndex: -1 }, "Verification failed"), attrs(h("p", { id: "verified", className: "status error" }, explain(err)), { role: "status" }), h("p", {}, link("/login", "Sign in"))];
  }
}

function forgotPage(): Node[] {
  return [
    h("h1", { tabIndex: -1 }, "Forgot your password?"),
    h("p", { className: "lead" }, "We mail you a link to choose a new one."),
    form("forgot", [{ name: "email", type: "email", label: "Email", autocomplete: "username" }], "Send reset link", async ({ email }) => {
      await client.requestPasswordReset(email!);
      return "If the account exists, a reset link is on its way.";
    }, { say: explain }),
    h("p", { className: "aside" }, link("/login", "Back to sign in")),
  ];
}

function resetPage(): Node[] {
  const token = new URLSearchParams(location.search).get("token") ?? "";
  if (!token) return [h("h1", { tabIndex: -1 }, "Reset password"), h("p", {}, "This page is opened from the link in the mail. ", link("/forgot-password", "Ask for one"))];
  return [
    h("h1", { tabIndex: -1 }, "Choose a new password"),
    form(
      "reset",
      [
        { name: "username", type: "email", label: "Email", autocomplete: "username", required: false, hint: "Optional: lets your password manager file the new password under the right account." },
        { name: "password", type: "password", label: "New password", autocomplete: "new-password", minLength: 8, hint: "At least 8 characters." },
      ],
      "Set password",
      async ({ password }) => {
        await client.confirmPasswordReset(token, password!);
        return "Password changed; every session was signed out. Sign in again.";
      },
      { say: explain },
    ),
    h("p", { className: "aside" }, link("/login", "Sign in")),
  ];
}

export const publicPages: Record<string, { title: string; render: () => Page }> = {
  "/login": { title: "Sign in", render: loginPage },
  "/register": { title: "Create an account", render: registerPage },
  "/email-login": { title: "Sign in with email", render: emailLoginPage },
  "/verify-email": { title: "Verify email", render: verifyEmailPage },
  "/forgot-password": { title: "Forgot password", render: forgotPage },
  "/reset-password": { title: "Reset password", render: resetPage },
  "/oauth/callback": { title: "Provider sign-in", render: oauthCallback },
};

