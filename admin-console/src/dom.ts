// DOM helpers: elements built with createElement (no innerHTML, so no markup
// from the API is ever parsed), times and small widgets.

type Child = Node | string | null | undefined | false;

/** An element with properties, attributes (`attrs`) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Omit<HTMLElementTagNameMap[K], "dataset">> & { attrs?: Record<string, string>; dataset?: Record<string, string> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  const { attrs, dataset, ...rest } = props;
  Object.assign(el, rest);
  for (const [name, value] of Object.entries(attrs ?? {})) el.setAttribute(name, value);
  for (const [name, value] of Object.entries(dataset ?? {})) el.dataset[name] = value;
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

/** A link inside the console (hash routing). */
export function link(hash: string, text: string, className = ""): HTMLAnchorElement {
  return h("a", { href: hash, className }, text);
}

let fields = 0;

/** A label and its input, tied by the input's id (one is made when it has none), as the portal's fields. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement): HTMLDivElement {
  if (!input.id) input.id = `field-${input.name}-${++fields}`;
  return h("div", { className: "field" }, h("label", { htmlFor: input.id }, label), input);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** A `<time>` with the local date and time; the exact instant in its title. */
export function time(iso: string | null | undefined): Node {
  if (!iso) return h("span", { className: "muted" }, "never");
  const at = new Date(iso);
  return h("time", { dateTime: iso, title: iso }, dateTime.format(at));
}

/** "5 minutes ago" and the like, for the newest things. */
export function ago(iso: string | null | undefined): string {
  if (!iso) return "never";
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const steps: [Intl.RelativeTimeFormatUnit, number][] = [
    ["second", 60],
    ["minute", 60],
    ["hour", 24],
    ["day", 30],
    ["month", 12],
  ];
  let value = seconds;
  for (const [unit, size] of steps) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return relative.format(Math.round(value), "year");
}

/** A small coloured label. */
export function badge(text: string, kind: "ok" | "warn" | "bad" | "plain" = "plain"): HTMLSpanElement {
  return h("span", { className: `badge ${kind}` }, text);
}

/** A status line under a form or an action: `ok`, `error` or busy. */
export function status(id: string): HTMLParagraphElement {
  return h("p", { id, className: "status", attrs: { role: "status", "aria-live": "polite" } });
}

export function setStatus(el: HTMLElement, kind: "ok" | "error" | "busy", text: string, code?: string): void {
  el.className = `status ${kind}`;
  el.textContent = text;
  if (code) el.dataset.code = code;
  else delete el.dataset.code;
}

/** A short, readable user agent: browser and system, not the whole string. */
export function device(userAgent: string | null | undefined): string {
  if (!userAgent) return "unknown device";
  const browser =
    /Edg\//.test(userAgent) ? "Edge" :
    /Firefox\//.test(userAgent) ? "Firefox" :
    /Chrom(e|ium)\//.test(userAgent) ? "Chromium" :
    /Safari\//.test(userAgent) ? "Safari" :
    /curl\//.test(userAgent) ? "curl" :
    /node/i.test(userAgent) ? "Node.js" : userAgent.split(/[\s/]/)[0] || "unknown";
  const system =
    /Android/.test(userAgent) ? "Android" :
    /iPhone|iPad/.test(userAgent) ? "iOS" :
    /Mac OS X/.test(userAgent) ? "macOS" :
    /Windows/.test(userAgent) ? "Windows" :
    /Linux/.test(userAgent) ? "Linux" : "";
  return system ? `${browser} on ${system}` : browser;
}

const SVG = "http://www.w3.org/2000/svg";

/**
 * A bar chart as SVG (attributes only: nothing a strict CSP refuses): one
 * bar per slot, `series` stacked from the bottom, each with its class.
 */
export function bars(series: { values: number[]; className: string; name: string }[], labels: string[], title: string): SVGSVGElement {
  const slots = labels.length;
  const width = 24 * slots;
  const height = 120;
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + s.values[i], 0));
  const max = Math.max(1, ...totals);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height + 16}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  for (let i = 0; i < slots; i++) {
    let top = height;
    for (const s of series) {
      const value = s.values[i];
      if (value <= 0) continue;
      const barHeight = Math.max(1, Math.round((value / max) * height));
      top -= barHeight;
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", String(i * 24 + 3));
      rect.setAttribute("y", String(top));
      rect.setAttribute("width", "18");
      rect.setAttribute("height", String(barHeight));
      rect.setAttribute("class", `bar ${s.className}`);
      const tip = document.createElementNS(SVG, "title");
      tip.textContent = `${labels[i]}: ${value} ${s.name}`;
      rect.append(tip);
      svg.append(rect);
    }
    const base = document.createElementNS(SVG, "rect");
    base.setAttribute("x", String(i * 24 + 3));
    base.setAttribute("y", String(height));
    base.setAttribute("width", "18");
    base.setAttribute("height", "1");
    base.setAttribute("class", "slot");
    svg.append(base);
    if (i % 3 === 0) {
      const text = document.createElementNS(SVG, "text");
      text.setAttribute("x", String(i * 24 + 12));
      text.setAttribute("y", String(height + 13));
      text.setAttribute("text-anchor", "middle");
      text.setAttribute("class", "axis");
      text.textContent = labels[i];
      svg.append(text);
    }
  }
  return svg;
}
