// Security: the password (change, or set one), two-factor authentication
// (an authenticator app by QR code, recovery codes) and passkeys; a passkey
// or an authenticator app is renamed in place (PATCH /v1/me/mfa/{id}).
import type { Schemas } from "@authd/client";
import qrcode from "qrcode-generator";

import { authed, client, upgradeSession } from "../lib/api.ts";
import { actionButton, attrs, card, field, form, h, redraw, showError, statusLine } from "../lib/dom.ts";
import { explain } from "../lib/errors.ts";
import { deviceName, timeEl } from "../lib/format.ts";
import { addPasskey } from "../lib/webauthn.ts";

type Factor = Schemas["MfaFactor"];

/** Recovery codes to show once, on the next drawing of the page. */
let freshCodes: { codes: string[]; why: string } | null = null;
/** A line to show once at the top of the next drawing. */
let notice: string | null = null;

function again(text: string | null, codes?: { codes: string[]; why: string }): void {
  notice = text;
  if (codes && codes.codes.length > 0) freshCodes = codes;
  redraw();
}

/** The codes, with download and print: shown once, never again. */
function recoveryPanel(codes: string[], why: string): HTMLElement {
  const text = `Recovery codes for ${location.host}\nEach signs in once if you lose your second factor.\n\n${codes.join("\n")}\n`;
  const download = h("a", { id: "download-codes", className: "button secondary", download: "recovery-codes.txt", href: URL.createObjectURL(new Blob([text], { type: "text/plain" })) }, "Download");
  const print = h("button", { id: "print-codes", type: "button", className: "secondary" }, "Print");
  print.addEventListener("click", () => {
    document.body.classList.add("printing-codes");
    window.addEventListener("afterprint", () => document.body.classList.remove("printing-codes"), { once: true });
    window.print();
  });
  const heading = h("h2", { id: "recovery-panel-title", tabIndex: -1 }, "Your recovery codes");
  return attrs(
    h(
      "section",
      { id: "recovery-panel", className: "card highlight print-area" },
      heading,
      h("p", {}, why, " Each code signs you in once if you lose your phone or passkey. Keep them somewhere safe: they are shown only now."),
      h("ul", { id: "recovery-codes", className: "codes" }, ...codes.map((c) => h("li", {}, h("code", {}, c)))),
      h("div", { className: "actions no-print" }, download, print),
    ),
    { "aria-labelledby": heading.id },
  );
}

function passwordCard(email: string): HTMLElement {
  return card(
    "Password",
    "password",
    h("p", { className: "muted" }, "Changing it signs out your other sessions. An account made by email, passkey or a provider can set one here (within a few minutes of signing in)."),
    form(
      "password-change",
      [
        { name: "username", type: "email", label: "Account", autocomplete: "username", value: email, required: false, readOnly: true },
        { name: "current_password", type: "password", label: "Current password", autocomplete: "current-password", required: false, hint: "Leave empty if your account has no password yet." },
        { name: "new_password", type: "password", label: "New password", autocomplete: "new-password", minLength: 8, hint: "At least 8 characters." },
      ],
      "Save password",
      async ({ current_password, new_password }, f) => {
        const body = { new_password: new_password!, ...(current_password ? { current_password } : {}) };
        await authed((headers) => client.api.POST("/v1/auth/password/change", { headers, body }));
        f.reset();
        return "Password saved. Your other sessions were signed out.";
      },
      { say: explain },
    ),
  );
}

/**
 * "Rename" turns the factor's title into a labelled text input with Save and
 * Cancel; Save sends the name (trimmed, 1–64 characters) and draws the page
 * again from authd. Escape cancels.
 */
function renameForm(factor: Factor, label: string, title: HTMLElement, rename: HTMLButtonElement, status: HTMLElement): void {
  const id = `rename-${factor.id}`;
  const input = attrs(h("input", { id: `${id}-name`, name: "name", type: "text", value: factor.name ?? "", required: true, maxLength: 64, spellcheck: false }), { autocomplete: "off" });
  const save = h("button", { type: "submit", className: "primary small" }, "Save");
  const cancel = h("button", { type: "button", className: "secondary small" }, "Cancel");
  const f = h(
    "form",
    { id, className: "rename-form" },
    h("label", { htmlFor: input.id }, `New name for ${label}`),
    h("div", { className: "rename-row" }, input, save, cancel),
  );
  const close = (): void => {
    f.replaceWith(title);
    rename.hidden = false;
    rename.focus();
  };
  cancel.addEventListener("click", close);
  f.addEventListener("keydown", (e) => {
    if (e.key === "Escape") close();
  });
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    status.className = "status";
    status.textContent = "Saving…";
    save.disabled = true;
    try {
      const renamed = await authed((headers) =>
        client.api.PATCH("/v1/me/mfa/{factor_id}", { headers, params: { path: { factor_id: factor.id } }, body: { name: input.value.trim() } }),
      );
      again(`Renamed to “${renamed.name ?? input.value.trim()}”.`);
    } catch (err) {
      showError(status, err, explain);
      save.disabled = false;
      input.focus();
    }
  });
  title.replaceWith(f);
  rename.hidden = true;
  input.focus();
  input.select();
}

function factorRow(factor: Factor, label: string, removeText: string): HTMLElement {
  const status = statusLine(`factor-${factor.id}-status`);
  const remove = actionButton(removeText, { className: "danger small remove-factor", value: factor.id }, status, async () => {
    await authed((headers) => client.api.DELETE("/v1/me/mfa/{factor_id}", { headers, params: { path: { factor_id: factor.id } } }));
    again(`${label} removed.`);
  }, explain);
  attrs(remove, { "aria-label": `${removeText}: ${label}` });
  const title = h("p", { className: "item-title" }, label);
  const rename = attrs(h("button", { type: "button", className: "secondary small rename-factor", value: factor.id }, "Rename"), { "aria-label": `Rename: ${label}` });
  rename.addEventListener("click", () => renameForm(factor, label, title, rename, status));
  return h(
    "li",
    { className: `item ${factor.type}` },
    h("div", {}, title, h("p", { className: "muted" }, "Added ", timeEl(factor.created_at), " · last used ", timeEl(factor.last_used_at))),
    h("div", { className: "actions" }, rename, remove),
    status,
  );
}

function totpCard(totps: Factor[]): HTMLElement {
  const area = h("div", { id: "totp-setup" });
  const status = statusLine("totp-start-status");
  const start = actionButton(totps.length ? "Add another authenticator app" : "Set up an authenticator app", { id: "totp-start", className: totps.length ? "secondary" : "primary" }, status, async () => {
    const enrolment = await authed((headers) => client.api.POST("/v1/me/mfa/totp", { headers }));
    const qr = qrcode(0, "M");
    qr.addData(enrolment.otpauth_uri);
    qr.make();
    const image = h("img", { id: "totp-qr", className: "qr", src: qr.createDataURL(5, 4), alt: "QR code to scan with your authenticator app", width: (qr.getModuleCount() + 8) * 5, height: (qr.getModuleCount() + 8) * 5 });
    const copyStatus = statusLine("totp-copy-status");
    const copy = actionButton("Copy", { id: "totp-copy", className: "secondary small" }, copyStatus, async () => {
      await navigator.clipboard.writeText(enrolment.secret);
      return "Copied.";
    }, () => "Copying is not allowed here: select the key and copy it.");
    area.replaceChildren(
      h(
        "div",
        { className: "enrol" },
        image,
        h(
          "div",
          { className: "stack" },
          h("p", {}, "1. Scan this code with your authenticator app (1Password, Google Authenticator, Aegis, …)."),
          h("p", {}, "Can't scan? Type this key:"),
          h("p", { className: "secret" }, h("code", { id: "totp-secret" }, enrolment.secret.replace(/(.{4})/g, "$1 ").trim()), copy),
          copyStatus,
          h("p", {}, "2. Type the 6-digit code it shows."),
          form(
            "totp-confirm",
            [{ name: "code", type: "text", label: "Code from the app", autocomplete: "one-time-code", inputMode: "numeric", pattern: "[0-9]{6}", maxLength: 6 }],
            "Turn on",
            async ({ code }) => {
              const answer = await authed((headers) =>
                client.api.POST("/v1/me/mfa/totp/{factor_id}/confirm", { headers, params: { path: { factor_id: enrolment.factor_id } }, body: { code: code!.trim() } }),
              );
              await upgradeSession();
              const codes = (answer as { recovery_codes?: string[] }).recovery_codes ?? [];
              again("Two-factor authentication is on: the app's code is asked after your password.", { codes, why: "Two-factor authentication is on." });
            },
            { say: explain },
          ),
        ),
      ),
    );
    status.textContent = "";
    start.hidden = true;
    area.querySelector<HTMLInputElement>("#totp-confirm input")?.focus();
  }, explain);
  return card(
    "Authenticator app",
    "totp",
    h("p", { className: "muted" }, "A 6-digit code from an app on your phone, asked after your password or email link."),
    totps.length ? h("ul", { id: "totp-list", className: "list" }, ...totps.map((t, i) => factorRow(t, t.name ?? `Authenticator app${totps.length > 1 ? ` ${i + 1}` : ""}`, "Remove"))) : null,
    area,
    h("div", { className: "actions" }, start),
    status,
  );
}

function recoveryCard(remaining: number): HTMLElement {
  const status = statusLine("regenerate-status");
  const regenerate = actionButton("Get new recovery codes", { id: "regenerate-codes" }, status, async () => {
    const answer = await authed((headers) => client.api.POST("/v1/me/mfa/recovery-codes", { headers }));
    again(null, { codes: answer.recovery_codes, why: "New codes: the old ones no longer work." });
  }, explain);
  return card(
    "Recovery codes",
    "recovery",
    h("p", {}, h("strong", { id: "recovery-remaining" }, String(remaining)), ` unused recovery code${remaining === 1 ? "" : "s"} left.`),
    remaining < 4 ? h("p", { className: "notice" }, "Running low: get new ones.") : null,
    h("div", { className: "actions" }, regenerate),
    status,
  );
}

function passkeysCard(passkeys: Factor[]): HTMLElement {
  const name = field({ name: "name", type: "text", label: "Name for a new passkey", autocomplete: "off", value: deviceName(navigator.userAgent), required: false, maxLength: 64, hint: "So you can tell your passkeys apart later." }, "add-passkey-form");
  const status = statusLine("add-passkey-status");
  const add = h("button", { id: "add-passkey", type: "submit", className: "primary" }, "Add a passkey");
  const adder = h("form", { id: "add-passkey-form", className: "stack" }, name, h("div", { className: "actions" }, add), status);
  adder.addEventListener("submit", async (e) => {
    e.preventDefault();
    status.className = "status";
    status.textContent = "Follow your browser's prompt…";
    add.disabled = true;
    try {
      const label = new FormData(adder).get("name")?.toString().trim() || deviceName(navigator.userAgent);
      const codes = await addPasskey(label);
      await upgradeSession();
      again("Passkey added: it signs you in without a password.", { codes, why: "Your first passkey also turned on two-factor authentication." });
    } catch (err) {
      showError(status, err, explain);
    } finally {
      add.disabled = false;
    }
  });
  return card(
    "Passkeys",
    "passkeys-card",
    h("p", { className: "muted" }, "Sign in with your fingerprint, face or device PIN. A passkey is also a second factor."),
    passkeys.length > 0
      ? h("ul", { id: "passkeys", className: "list" }, ...passkeys.map((p) => {
          const row = factorRow(p, p.name ?? "Passkey", "Remove");
          row.classList.add("passkey");
          return row;
        }))
      : h("p", { id: "passkeys" }, "None yet."),
    adder,
  );
}

export async function securityPage(): Promise<Node[]> {
  const [me, mfa] = await Promise.all([client.me(), authed((headers) => client.api.GET("/v1/me/mfa", { headers }))]);
  const totps = mfa.factors.filter((f) => f.type === "totp");
  const passkeys = mfa.factors.filter((f) => f.type === "passkey");
  const on = mfa.factors.length > 0;
  const shown = freshCodes;
  freshCodes = null;
  const said = notice;
  notice = null;
  return [
    h("h1", { tabIndex: -1 }, "Security"),
    said ? attrs(h("p", { id: "security-notice", className: "status ok" }, said), { role: "status" }) : null,
    shown ? recoveryPanel(shown.codes, shown.why) : null,
    h(
      "p",
      { id: "mfa-state", className: on ? "badge-line ok" : "badge-line warn" },
      on ? `Two-factor authentication is on (${mfa.factors.length} factor${mfa.factors.length === 1 ? "" : "s"}).` : "Two-factor authentication is off. Add an authenticator app or a passkey.",
    ),
    passwordCard(me.email),
    passkeysCard(passkeys),
    totpCard(totps),
    on ? recoveryCard(mfa.recovery_codes_remaining) : null,
  ].filter((n): n is HTMLElement => n !== null);
}
