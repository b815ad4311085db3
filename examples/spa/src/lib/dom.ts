// Building blocks of every page: elements, links, labelled fields, forms
// with a live status line. No inline styles or handlers (the CSP forbids
// them): classes from style.css and addEventListener only.
import { AuthdError, MfaRequiredError } from "@authd/client";

import { message } from "./errors.ts";

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & Record<string, unknown> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  Object.assign(el, props);
  el.append(...(children.filter((c) => c !== null && c !== undefined && c !== false) as (Node | string)[]));
  return el;
}

/** Sets attributes that have no DOM property (aria-*, autocomplete, …). */
export function attrs<E extends Element>(el: E, values: Record<string, string>): E {
  for (const [name, value] of Object.entries(values)) el.setAttribute(name, value);
  return el;
}

let navigate: (path: string) => void = (path) => location.assign(path);

/** The router's navigation (set once by main.ts). */
export function setNavigate(fn: (path: string) => void): void {
  navigate = fn;
}

let redrawPage: () => void = () => location.reload();

/** The router's redraw of the page on screen (set once by main.ts). */
export function setRedraw(fn: () => void): void {
  redrawPage = fn;
}

/** Draws the page on screen again, from fresh data. */
export function redraw(): void {
  redrawPage();
}

export function go(path: string): void {
  navigate(path);
}

export function link(path: string, text: string, className = ""): HTMLAnchorElement {
  const a = h("a", { href: path, className }, text);
  a.addEventListener("click", (e) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    go(path);
  });
  return a;
}

/** A status line: read out by screen readers when it changes. */
export function statusLine(id: string): HTMLParagraphElement {
  return attrs(h("p", { id, className: "status" }), { role: "status", "aria-live": "polite" });
}

export function busy(status: HTMLElement, text = "Working…"): void {
  status.className = "status";
  status.textContent = text;
  delete status.dataset.code;
}

export function ok(status: HTMLElement, text: string): void {
  status.className = "status ok";
  status.textContent = text;
  delete status.dataset.code;
}

/** Shows `error` in `status`, with its problem code in `data-code`. */
export function showError(status: HTMLElement, error: unknown, say: (error: unknown) => string = message): void {
  status.className = "status error";
  status.textContent = say(error);
  if (error instanceof AuthdError && error.code) status.dataset.code = error.code;
  else if (error instanceof DOMException) status.dataset.code = error.name;
  else delete status.dataset.code;
}

export interface Field {
  name: string;
  type: string;
  label: string;
  /** Always set: password managers and the passkey autofill read it. */
  autocomplete: string;
  value?: string;
  hint?: string;
  required?: boolean;
  readOnly?: boolean;
  inputMode?: string;
  pattern?: string;
  maxLength?: number;
  minLength?: number;
  /** A `<select>` instead of an input: [value, text] pairs. */
  options?: [string, string][];
}

let fieldCount = 0;

/** A label, its input (or select) and an optional hint, tied by ids. */
export function field(f: Field, formId: string): HTMLElement {
  const id = `${formId}-${f.name}-${++fieldCount}`;
  let control: HTMLInputElement | HTMLSelectElement;
  if (f.options) {
    const select = h("select", { id, name: f.name }, ...f.options.map(([value, text]) => h("option", { value, selected: value === (f.value ?? "") }, text)));
    control = select;
  } else {
    const input = h("input", { id, name: f.name, type: f.type, value: f.value ?? "", required: f.required ?? true });
    if (f.inputMode) input.inputMode = f.inputMode;
    if (f.pattern) input.pattern = f.pattern;
    if (f.maxLength) input.maxLength = f.maxLength;
    if (f.minLength) input.minLength = f.minLength;
    if (f.readOnly) input.readOnly = true;
    if (f.type === "text" || f.type === "email") input.spellcheck = false;
    control = input;
  }
  control.setAttribute("autocomplete", f.autocomplete);
  const wrap = h("div", { className: "field" }, h("label", { htmlFor: id }, f.label), control);
  if (f.hint) {
    const hint = h("small", { id: `${id}-hint`, className: "hint" }, f.hint);
    control.setAttribute("aria-describedby", hint.id);
    wrap.append(hint);
  }
  return wrap;
}

export interface FormOptions {
  say?: (error: unknown) => string;
  /** Called when the first step of a sign-in asks for a second one. */
  onMfa?: (challenge: MfaRequiredError) => void;
  secondary?: boolean;
  extra?: Node[];
}

/** A form whose submit runs `action`; its outcome shows under it. */
export function form(
  id: string,
  fields: Field[],
  submit: string,
  action: (values: Record<string, string>, form: HTMLFormElement) => Promise<string | void>,
  options: FormOptions = {},
): HTMLFormElement {
  const status = statusLine(`${id}-status`);
  const button = h("button", { type: "submit", className: options.secondary ? "secondary" : "primary" }, submit);
  const f = h("form", { id, className: "stack" }, ...fields.map((x) => field(x, id)), ...(options.extra ?? []), h("div", { className: "actions" }, button), status);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = Object.fromEntries(new FormData(f)) as Record<string, string>;
    busy(status);
    button.disabled = true;
    try {
      const done = await action(values, f);
      if (f.isConnected) ok(status, done ?? "Done.");
    } catch (err) {
      if (err instanceof MfaRequiredError && options.onMfa) return options.onMfa(err);
      showError(status, err, options.say);
    } finally {
      button.disabled = false;
    }
  });
  return f;
}

/** A button whose click runs `action`, reporting into `status`. */
export function actionButton(
  text: string,
  props: Partial<HTMLButtonElement> & Record<string, unknown>,
  status: HTMLElement,
  action: () => Promise<string | void>,
  say?: (error: unknown) => string,
): HTMLButtonElement {
  const button = h("button", { type: "button", className: "secondary", ...props }, text);
  button.addEventListener("click", async () => {
    busy(status);
    button.disabled = true;
    try {
      const done = await action();
      if (status.isConnected) {
        if (done) ok(status, done);
        else if (status.textContent === "Working…") status.textContent = "";
      }
    } catch (err) {
      showError(status, err, say);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** A titled block of a page. */
export function card(title: string, id: string, ...children: Child[]): HTMLElement {
  const heading = h("h2", { id: `${id}-title` }, title);
  return attrs(h("section", { className: "card", id }, heading, ...children), { "aria-labelledby": heading.id });
}
