// Sessions: where the account is signed in, this device first; revoke one
// or every other.
import { client } from "../lib/api.ts";
import { actionButton, attrs, card, go, h, redraw, statusLine } from "../lib/dom.ts";
import { explain } from "../lib/errors.ts";
import { deviceName, timeEl } from "../lib/format.ts";

let notice: string | null = null;

export async function sessionsPage(): Promise<Node[]> {
  const sessions = (await client.sessions()).sort((a, b) => Number(b.current) - Number(a.current));
  const others = sessions.filter((s) => !s.current);
  const said = notice;
  notice = null;

  const rows = sessions.map((s) => {
    const device = deviceName(s.user_agent);
    const status = statusLine(`session-${s.id}-status`);
    const revoke = actionButton(s.current ? "Sign out" : "Revoke", { className: s.current ? "secondary small revoke" : "danger small revoke" }, status, async () => {
      await client.revokeSession(s.id);
      if (s.current) {
        client.setTokens(null);
        go("/login");
      } else {
        notice = `${device} was signed out.`;
        redraw();
      }
    }, explain);
    revoke.dataset.id = s.id;
    attrs(revoke, { "aria-label": `${s.current ? "Sign out" : "Revoke"}: ${device}${s.current ? " (this device)" : ""}` });
    return h(
      "li",
      { className: `item session${s.current ? " current" : ""}` },
      h(
        "div",
        {},
        h("p", { className: "item-title" }, device, s.current ? h("span", { className: "badge ok" }, "This device") : null),
        h("p", { className: "muted" }, "Signed in ", timeEl(s.created_at), " · active ", timeEl(s.last_used_at), s.ip ? ` · ${s.ip}` : ""),
        s.user_agent ? h("p", { className: "ua muted" }, s.user_agent) : null,
      ),
      revoke,
      status,
    );
  });

  const status = statusLine("revoke-others-status");
  const revokeOthers = actionButton(`Sign out ${others.length} other session${others.length === 1 ? "" : "s"}`, { id: "revoke-others", className: "danger" }, status, async () => {
    for (const s of others) await client.revokeSession(s.id);
    notice = `${others.length} other session${others.length === 1 ? " was" : "s were"} signed out.`;
    redraw();
  }, explain);

  return [
    h("h1", { tabIndex: -1 }, "Sessions"),
    said ? attrs(h("p", { id: "sessions-notice", className: "status ok" }, said), { role: "status" }) : null,
    card(
      "Where you're signed in",
      "sessions-card",
      h("p", { className: "muted" }, "Don't recognise one? Revoke it and change your password."),
      h("ul", { id: "sessions", className: "list" }, ...rows),
      others.length > 0 ? h("div", { className: "actions" }, revokeOthers) : null,
      status,
    ),
  ].filter((n): n is HTMLElement => n !== null);
}
