// Times and devices as people read them.

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

const relative = new Intl.RelativeTimeFormat(navigator.language, { numeric: "auto" });
const absolute = new Intl.DateTimeFormat(navigator.language, { dateStyle: "medium", timeStyle: "short" });

/** "just now", "5 minutes ago", "yesterday", "in 2 hours". */
export function relativeTime(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (Math.abs(seconds) < 45) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "minute") return relative.format(Math.round(seconds / size), unit);
  }
  return relative.format(seconds, "second");
}

/** A `<time>`: the relative text, the exact local time in its tooltip. */
export function timeEl(iso: string | null | undefined, never = "never"): Node {
  if (!iso) return document.createTextNode(never);
  const el = document.createElement("time");
  el.dateTime = iso;
  el.title = absolute.format(new Date(iso));
  el.textContent = relativeTime(iso);
  return el;
}

/** "Chrome on Linux", "Safari on iOS", "Firefox on Windows" — a few lines, no UA library. */
export function deviceName(ua: string | null | undefined): string {
  if (!ua) return "Unknown device";
  const browser =
    /Edg(A|iOS)?\//.test(ua) ? "Edge"
    : /OPR\/|Opera/.test(ua) ? "Opera"
    : /SamsungBrowser\//.test(ua) ? "Samsung Internet"
    : /Firefox\/|FxiOS\//.test(ua) ? "Firefox"
    : /HeadlessChrome\//.test(ua) ? "Headless Chrome"
    : /Chrome\/|CriOS\//.test(ua) ? "Chrome"
    : /Safari\//.test(ua) ? "Safari"
    : /^curl\//.test(ua) ? "curl"
    : /^node$|undici|node-fetch/i.test(ua) ? "Node.js"
    : ua.split(/[\s/]/)[0] || "Unknown browser";
  const os =
    /iPhone|iPad|iPod/.test(ua) ? "iOS"
    : /Android/.test(ua) ? "Android"
    : /CrOS/.test(ua) ? "ChromeOS"
    : /Windows/.test(ua) ? "Windows"
    : /Mac OS X|Macintosh/.test(ua) ? "macOS"
    : /Linux/.test(ua) ? "Linux"
    : "";
  return os ? `${browser} on ${os}` : browser;
}

/** Security events (API.md §12) in words. */
const EVENTS: Record<string, string> = {
  "user.registered": "Account created",
  "user.email_verified": "Email address verified",
  "user.imported": "Account imported",
  "login.succeeded": "Signed in",
  "login.failed": "Failed sign-in",
  "login.locked": "Sign-in locked after failed tries",
  "password.changed": "Password changed",
  "password.reset": "Password reset",
  "email.changed": "Email address changed",
  "mfa.enrolled": "Second factor added",
  "mfa.removed": "Second factor removed",
  "mfa.recovery_code_used": "Recovery code used",
  "mfa.recovery_codes_regenerated": "New recovery codes",
  "session.revoked": "Session ended",
  "identity.linked": "Sign-in provider linked",
  "identity.unlinked": "Sign-in provider unlinked",
  "user.roles_changed": "Roles changed",
  "user.disabled": "Account disabled",
  "user.enabled": "Account enabled",
};

export function eventName(type: string): string {
  return EVENTS[type] ?? type;
}

const DETAILS: Record<string, string> = {
  owner: "by you",
  logout: "signed out",
  totp: "authenticator app",
  invalid_password: "wrong password",
  invalid_code: "wrong code",
};

/** The one detail worth a line: how, which factor, why. */
export function eventDetail(data: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of ["method", "type", "factor", "provider", "reason"]) {
    const value = data[key];
    if (typeof value === "string" && value) parts.push(DETAILS[value] ?? value.replace(/_/g, " "));
  }
  return parts.join(" · ");
}
