// A small SPA against authd in browser mode: the refresh token lives in an
// HttpOnly cookie the page cannot read; the access token only in memory.
import { AuthdClient, AuthdError, MfaRequiredError, type Tokens } from "@authd/client";

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
  if (error instanceof DOMException && error.name === "NotAllowedError") {
    return "The passkey prompt was closed or timed out.";
  }
  return String(error);
}

/** What the sign-in pages tell the user, by the problem's `code`. */
const EXPLAINED: Record<string, string> = {
  invalid_code: "That code is not right, or no longer valid (5 wrong tries end it). Check the newest mail, or ask for a new one.",
  invalid_token: "This sign-in link was used already, has expired (links live 10 minutes) or a newer mail replaced it. Ask for a new one.",
  token_expired: "This sign-in link has expired. Ask for a new one.",
  account_locked: "Too many wrong tries: sign-in for this address is locked for a while. Try again later.",
  rate_limited: "Too many attempts from here. Wait a moment and try again.",
  account_disabled: "This account is disabled.",
  invalid_mfa_code: "That code is not right.",
  reauthentication_required: "This needs a recent sign-in (within the last 5 minutes). Sign in again, then retry.",
};

function explain(error: unknown): string {
  return (error instanceof AuthdError && error.code && EXPLAINED[error.code]) || message(error);
}

/** Shows `error` in `status`, with its problem code in `data-code`. */
function showError(status: HTMLElement, error: unknown, say: (error: unknown) => string = message): void {
  status.className = "error";
  status.textContent = say(error);
  if (error instanceof AuthdError && error.code) status.dataset.code = error.code;
  else if (error instanceof DOMException) status.dataset.code = error.name;
}

interface Field {
  name: string;
  type: string;
  label: string;
  /** Always set: password managers and the passkey autofill read it. */
  autocomplete: string;
  value?: string;
  inputMode?: string;
  pattern?: string;
  maxLength?: number;
}

/** A form whose submit runs `action`; its outcome shows under it. */
function form(
  id: string,
  fields: Field[],
  submit: string,
  action: (values: Record<string, string>) => Promise<string | void>,
  say: (error: unknown) => string = message,
): HTMLFormElement {
  const status = h("p", { id: `${id}-status` });
  const f = h(
    "form",
    { id },
    ...fields.map((field) => {
      const input = h("input", { name: field.name, type: field.type, value: field.value ?? "", required: true });
      input.setAttribute("autocomplete", field.autocomplete);
      if (field.inputMode) input.inputMode = field.inputMode;
      if (field.pattern) input.pattern = field.pattern;
      if (field.maxLength) input.maxLength = field.maxLength;
      return h("label", {}, field.label, input);
    }),
    h("button", { type: "submit" }, submit),
    status,
  );
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = Object.fromEntries(new FormData(f)) as Record<string, string>;
    status.className = "";
    status.textContent = "…";
    delete status.dataset.code;
    try {
      const done = await action(values);
      status.className = "ok";
      status.textContent = done ?? "Done.";
    } catch (err) {
      if (err instanceof MfaRequiredError) return showSecondStep(err);
      showError(status, err, say);
    }
  });
  return f;
}

// ---- WebAuthn: authd speaks JSON with base64url binary fields -------------

function fromB64url(text: string): ArrayBuffer {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
}

function toB64url(buffer: ArrayBuffer): string {
  let text = "";
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

type Json = { [key: string]: unknown };

/** The options' `publicKey` (authd may wrap them), without `null` members. */
function publicKeyOf(options: unknown): Json {
  const inner = (options as Json).publicKey ?? options;
  return JSON.parse(JSON.stringify(inner, (_key, value) => (value === null ? undefined : value))) as Json;
}

function withIds(list: unknown): PublicKeyCredentialDescriptor[] {
  return ((list as Json[] | undefined) ?? []).map((c) => ({ ...c, id: fromB64url(c.id as string) }) as PublicKeyCredentialDescriptor);
}

function creationOptions(options: unknown): PublicKeyCredentialCreationOptions {
  const o = publicKeyOf(options);
  const user = o.user as Json;
  return {
    ...o,
    challenge: fromB64url(o.challenge as string),
    user: { ...user, id: fromB64url(user.id as string) },
    excludeCredentials: withIds(o.excludeCredentials),
  } as PublicKeyCredentialCreationOptions;
}

function requestOptions(options: unknown): PublicKeyCredentialRequestOptions {
  const o = publicKeyOf(options);
  return { ...o, challenge: fromB64url(o.challenge as string), allowCredentials: withIds(o.allowCredentials) } as PublicKeyCredentialRequestOptions;
}

/** A `PublicKeyCredential` as authd reads it. */
function credentialJson(credential: PublicKeyCredential): Json {
  const r = credential.response;
  const response: Json = { clientDataJSON: toB64url(r.clientDataJSON) };
  if (r instanceof AuthenticatorAttestationResponse) {
    response.attestationObject = toB64url(r.attestationObject);
    response.transports = r.getTransports();
  } else {
    const assertion = r as AuthenticatorAssertionResponse;
    response.authenticatorData = toB64url(assertion.authenticatorData);
    response.signature = toB64url(assertion.signature);
    response.userHandle = assertion.userHandle ? toB64url(assertion.userHandle) : null;
  }
  return {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    response,
    extensions: credential.getClientExtensionResults(),
  };
}

/** What openapi-fetch resolves to. */
interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.response.ok) return outcome.data as T;
  const problem = outcome.error as AuthdError["problem"];
  throw new AuthdError(outcome.response.status, problem?.code ? problem : undefined, `authd answered ${outcome.response.status}`);
}

/** A call with the access token; after a 401 one refresh and one retry. */
async function authed<T>(call: (headers: Record<string, string>) => Promise<Outcome<T>>): Promise<T> {
  const bearer = () => ({ Authorization: `Bearer ${client.tokens?.access_token ?? ""}` });
  const first = await call(bearer());
  if (first.response.status !== 401) return unwrap(first);
  await client.refresh();
  return unwrap(await call(bearer()));
}

/** A passkey sign-in (`mediation: "conditional"` for the autofill). */
async function passkeySignIn(mediation?: CredentialMediationRequirement, signal?: AbortSignal): Promise<void> {
  const ceremony = unwrap(await client.api.POST("/v1/auth/passkey/start", {}));
  const credential = (await navigator.credentials.get({
    publicKey: requestOptions(ceremony.options),
    ...(mediation ? { mediation } : {}),
    ...(signal ? { signal } : {}),
  })) as PublicKeyCredential | null;
  if (!credential) throw new DOMException("no passkey chosen", "NotAllowedError");
  const body = { challenge_id: ceremony.challenge_id, credential: credentialJson(credential) as Record<string, never> };
  client.setTokens(unwrap(await client.api.POST("/v1/auth/passkey/finish", { body })) as Tokens);
  go("/profile");
}

/** The pending conditional request of the page on screen, if any. */
let autofill: AbortController | null = null;

function stopAutofill(): void {
  autofill?.abort();
  autofill = null;
}

/**
 * Offers the user's passkeys in the autofill of the page's
 * `autocomplete="username webauthn"` field, where the browser can.
 */
async function offerPasskeys(status: HTMLElement): Promise<void> {
  stopAutofill();
  const controller = new AbortController();
  autofill = controller;
  const available = await window.PublicKeyCredential?.isConditionalMediationAvailable?.();
  if (!available || controller.signal.aborted) return;
  try {
    await passkeySignIn("conditional", controller.signal);
  } catch (err) {
    if (controller.signal.aborted) return;
    showError(status, err, (e) => (e instanceof AuthdError && e.code === "invalid_credentials" ? "That passkey is not known here." : explain(e)));
  } finally {
    if (autofill === controller) autofill = null;
  }
}

function passkeyButton(): Node[] {
  const status = h("p", { id: "passkey-status" });
  const button = h("button", { id: "passkey-signin", type: "button" }, "Sign in with a passkey");
  button.addEventListener("click", async () => {
    // One WebAuthn request at a time: the modal one replaces the autofill.
    stopAutofill();
    status.className = "";
    status.textContent = "…";
    delete status.dataset.code;
    try {
      await passkeySignIn();
    } catch (err) {
      showError(status, err, (e) => (e instanceof AuthdError && e.code === "invalid_credentials" ? "That passkey is not known here." : explain(e)));
    }
  });
  return [h("p", {}, button), status];
}

function showSecondStep(challenge: MfaRequiredError): void {
  stopAutofill();
  app.replaceChildren(...secondStep(challenge));
}

/** The §9 second step, after a password or a mail proved the first. */
function secondStep(challenge: MfaRequiredError): Node[] {
  const kinds = new Set(challenge.factors.map((f) => f.type));
  const nodes: Node[] = [h("h1", {}, "Second step"), h("p", {}, "This account has a second factor.")];
  if (kinds.has("passkey")) {
    const status = h("p", { id: "mfa-passkey-status" });
    const button = h("button", { id: "mfa-passkey", type: "button" }, "Use your passkey");
    button.addEventListener("click", async () => {
      try {
        const ceremony = unwrap(await client.api.POST("/v1/auth/mfa/passkey/start", { body: { mfa_token: challenge.mfaToken } }));
        const credential = (await navigator.credentials.get({ publicKey: requestOptions(ceremony.options) })) as PublicKeyCredential;
        const body = { challenge_id: ceremony.challenge_id, credential: credentialJson(credential) as Record<string, never> };
        client.setTokens(unwrap(await client.api.POST("/v1/auth/mfa/passkey/finish", { body })) as Tokens);
        go("/profile");
      } catch (err) {
        showError(status, err, explain);
      }
    });
    nodes.push(h("p", {}, button), status);
  }
  if (kinds.has("totp")) {
    nodes.push(
      form(
        "mfa-code",
        [{ name: "code", type: "text", label: "Code from your authenticator app", autocomplete: "one-time-code", inputMode: "numeric", pattern: "[0-9]{6}", maxLength: 6 }],
        "Verify",
        async ({ code }) => {
          await client.verifyMfa(challenge.mfaToken, { code: code! });
          go("/profile");
        },
        explain,
      ),
    );
  }
  nodes.push(
    form(
      "mfa-recovery",
      [{ name: "recovery", type: "text", label: "Or a recovery code", autocomplete: "off" }],
      "Use recovery code",
      async ({ recovery }) => {
        await client.verifyMfa(challenge.mfaToken, { recoveryCode: recovery! });
        go("/profile");
      },
      explain,
    ),
  );
  return nodes;
}

function renderNav(): void {
  nav.replaceChildren(
    ...(tokens
      ? [link("/profile", "Profile"), link("/sessions", "Sessions"), link("/logout", "Log out")]
      : [
          link("/login", "Log in"),
          link("/email-login", "Sign in with email"),
          link("/register", "Register"),
          link("/forgot-password", "Forgot password"),
        ]),
  );
}

/** The "check your mail" state: the code, for when the link opens elsewhere. */
function checkYourMail(email: string): Node[] {
  return [
    h("h1", {}, "Check your mail"),
    h("p", { id: "email-login-sent", className: "ok" }, `If sign-in by email is open to ${email}, a mail is on its way. Open its link on this device, or type its 6-digit code here.`),
    form(
      "email-code",
      [{ name: "code", type: "text", label: "Code from the mail", autocomplete: "one-time-code", inputMode: "numeric", pattern: "[0-9]{6}", maxLength: 6 }],
      "Sign in",
      async ({ code }) => {
        await client.verifyEmailLogin({ email, code: code!.trim() });
        go("/profile");
      },
      explain,
    ),
    h("p", {}, link("/email-login", "Use another address or send a new mail")),
  ];
}

/** The page the mail's link opens: the token is in the fragment, never sent by a GET. */
async function finishEmailLink(token: string): Promise<Node[]> {
  // Out of the address bar and the history before anything else.
  history.replaceState(null, "", location.pathname);
  try {
    await client.verifyEmailLogin({ token });
    history.replaceState(null, "", "/profile");
    return pages["/profile"]!();
  } catch (err) {
    if (err instanceof MfaRequiredError) return secondStep(err);
    const status = h("p", { id: "email-link-status" });
    showError(status, err, explain);
    return [h("h1", {}, "Sign-in link"), status, h("p", {}, link("/email-login", "Send a new mail"))];
  }
}

const pages: Record<string, () => Promise<Node[]> | Node[]> = {
  "/register": () => [
    h("h1", {}, "Register"),
    form(
      "register",
      [
        { name: "email", type: "email", label: "Email", autocomplete: "username" },
        { name: "password", type: "password", label: "Password", autocomplete: "new-password" },
      ],
      "Register",
      async ({ email, password }) => {
        await client.register(email!, password!);
        return "Check your mail for the verification link.";
      },
    ),
    h("p", {}, "Or, without a password: ", link("/email-login", "sign in with email"), " (the mail creates the account)."),
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
        { name: "email", type: "email", label: "Email", autocomplete: "username webauthn" },
        { name: "password", type: "password", label: "Password", autocomplete: "current-password" },
      ],
      "Log in",
      async ({ email, password }) => {
        await client.login(email!, password!);
        go("/profile");
      },
    ),
    ...passkeyButton(),
    h("p", {}, "No password? ", link("/email-login", "Sign in with email")),
  ],
  "/email-login": () => {
    const token = new URLSearchParams(location.hash.slice(1)).get("token");
    if (token) return finishEmailLink(token);
    return [
      h("h1", {}, "Sign in with email"),
      h("p", {}, "We mail you a link and a code. No account yet? The same mail creates one."),
      form(
        "email-login",
        [{ name: "email", type: "email", label: "Email", autocomplete: "username webauthn" }],
        "Email me a sign-in link",
        async ({ email }) => {
          await client.startEmailLogin(email!, navigator.language);
          stopAutofill();
          app.replaceChildren(...checkYourMail(email!));
        },
        explain,
      ),
      ...passkeyButton(),
    ];
  },
  "/profile": async () => {
    if (!tokens) return [h("p", {}, "Not logged in. ", link("/login", "Log in"))];
    const [me, mfa] = await Promise.all([client.me(), authed((headers) => client.api.GET("/v1/me/mfa", { headers }))]);
    const passkeys = mfa.factors.filter((f) => f.type === "passkey");
    const status = h("p", { id: "add-passkey-status" });
    const add = h("button", { id: "add-passkey", type: "button" }, "Add a passkey");
    add.addEventListener("click", async () => {
      status.className = "";
      status.textContent = "…";
      delete status.dataset.code;
      try {
        const ceremony = await authed((headers) => client.api.POST("/v1/me/passkeys/register/start", { headers }));
        const credential = (await navigator.credentials.create({ publicKey: creationOptions(ceremony.options) })) as PublicKeyCredential;
        const body = { challenge_id: ceremony.challenge_id, credential: credentialJson(credential) as Record<string, never> };
        const added = await authed((headers) => client.api.POST("/v1/me/passkeys/register/finish", { headers, body }));
        const codes = (added as { recovery_codes?: string[] }).recovery_codes ?? [];
        app.replaceChildren(...(await pages["/profile"]!()));
        if (codes.length > 0) {
          app.append(
            h("h2", {}, "Recovery codes"),
            h("p", {}, "Each signs in once if you lose your passkey. Keep them somewhere safe: they are shown only now."),
            h("ul", { id: "recovery-codes" }, ...codes.map((c) => h("li", {}, h("code", {}, c)))),
          );
        }
      } catch (err) {
        showError(status, err, explain);
      }
    });
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
      h("h2", {}, "Passkeys"),
      passkeys.length > 0
        ? h("ul", { id: "passkeys" }, ...passkeys.map((p) => h("li", { className: "passkey" }, `${p.name ?? "Passkey"}, added ${p.created_at}`)))
        : h("p", { id: "passkeys" }, "None yet. A passkey signs you in without a password or a mail."),
      h("p", {}, add),
      status,
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
    form("forgot", [{ name: "email", type: "email", label: "Email", autocomplete: "username" }], "Send reset link", async ({ email }) => {
      await client.requestPasswordReset(email!);
      return "If the account exists, a reset link is on its way.";
    }),
  ],
  "/reset-password": () => {
    const token = new URLSearchParams(location.search).get("token") ?? "";
    if (!token) return [h("p", {}, "This page is opened from the link in the mail. ", link("/forgot-password", "Ask for one"))];
    return [
      h("h1", {}, "Choose a new password"),
      form("reset", [{ name: "password", type: "password", label: "New password", autocomplete: "new-password" }], "Set password", async ({ password }) => {
        await client.confirmPasswordReset(token, password!);
        return "Password changed; every session was logged out. Log in again.";
      }),
    ];
  },
  "/logout": async () => {
    if (tokens) await client.logout();
    return [h("h1", {}, "Logged out"), h("p", { id: "logged-out" }, "See you. ", link("/login", "Log in"))];
  },
  "/": () => (tokens ? pages["/profile"]!() : [h("h1", {}, "authd example"), h("p", {}, link("/login", "Log in"), ", ", link("/email-login", "sign in with email"), " or ", link("/register", "register"))]),
};

async function render(): Promise<void> {
  stopAutofill();
  renderNav();
  const page = pages[location.pathname] ?? (() => [h("h1", {}, "Not found")]);
  try {
    app.replaceChildren(...(await page()));
  } catch (err) {
    app.replaceChildren(h("p", { className: "error" }, message(err)));
  }
  renderNav();
  // A page with a passkey-aware field offers the passkeys in its autofill.
  const status = app.querySelector<HTMLElement>("#passkey-status");
  if (status && app.querySelector('input[autocomplete~="webauthn"]')) void offerPasskeys(status);
}

// Another tab logged in, refreshed or out: follow it.
client.onAuthStateChange((event, next) => {
  tokens = next;
  document.body.dataset.auth = next ? "signed-in" : "signed-out";
  if (event === "signed_out" && ["/profile", "/sessions"].includes(location.pathname)) go("/login");
  else renderNav();
});
window.addEventListener("popstate", () => void render());
// The mail's link pasted into the tab that asked for it changes only the fragment.
window.addEventListener("hashchange", () => {
  if (location.pathname === "/email-login" && location.hash.includes("token=")) void render();
});

// After a reload the access token is gone: the cookie (if any) gets a new one.
try {
  tokens = await client.refresh();
} catch {
  tokens = null;
}
document.body.dataset.auth = tokens ? "signed-in" : "signed-out";
await render();
document.body.dataset.ready = "true";
