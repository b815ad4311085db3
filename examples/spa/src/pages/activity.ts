// Security events: the account's last 50 (GET /v1/me/security-events).
import { authed, client } from "../lib/api.ts";
import { card, h } from "../lib/dom.ts";
import { deviceName, eventDetail, eventName, timeEl } from "../lib/format.ts";

export async function activityPage(): Promise<Node[]> {
  const { events } = await authed((headers) => client.api.GET("/v1/me/security-events", { headers }));
  const rows = events.map((e) =>
    h(
      "tr",
      { className: `event ${e.type.startsWith("login.failed") || e.type === "login.locked" ? "warn" : ""}` },
      h("td", {}, timeEl(e.at)),
      h("th", { scope: "row" }, eventName(e.type), h("span", { className: "muted detail" }, eventDetail(e.data as Record<string, unknown>))),
      h("td", {}, e.user_agent ? deviceName(e.user_agent) : "—", e.ip ? h("span", { className: "muted detail" }, e.ip) : null),
    ),
  );
  return [
    h("h1", { tabIndex: -1 }, "Activity"),
    card(
      "Recent security events",
      "activity",
      h("p", { className: "muted" }, "Sign-ins, changes to your password, email and second factors: the last 50."),
      events.length
        ? h(
            "div",
            { className: "table-wrap" },
            h(
              "table",
              { id: "events" },
              h("caption", { className: "visually-hidden" }, "Security events, newest first"),
              h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "What"), h("th", { scope: "col" }, "Device"))),
              h("tbody", {}, ...rows),
            ),
          )
        : h("p", { id: "events" }, "Nothing yet."),
    ),
  ];
}
