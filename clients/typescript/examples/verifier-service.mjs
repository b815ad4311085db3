// A tiny service that accepts authd access tokens offline, with the
// revocation feed (API.md §18): a logout on authd is refused here within
// about a second.
//
//   AUTHD_URL=http://127.0.0.1:8080 AUTHD_SERVICE_KEY=<secret of AUTH_SERVICE_KEYS> PORT=3000 \
//     node verifier-service.mjs
//   curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:3000/check
//
// AUTHD_URL       authd's base URL (the JWKS and the feed are found under it)
// AUTHD_ISSUER    authd's AUTH_ISSUER (default: AUTHD_URL)
// AUTHD_AUDIENCE  authd's AUTH_AUDIENCE (default: authd)
// AUTHD_SERVICE_KEY  this service's key (the secret part of name:secret)
// PORT            0 (the default) picks a free port
//
// Prints exactly one line, `listening <port>`, once the current revocation
// list is loaded. GET /check → 200 {"sub","sid"} or 401 {"error": "<reason>"};
// GET /status → 200, the verifier's status.
import { createServer } from "node:http";
import { createVerifier } from "@authd/client";

const base = (process.env.AUTHD_URL ?? "").replace(/\/+$/, "");
const serviceKey = process.env.AUTHD_SERVICE_KEY ?? "";
if (!base || !serviceKey) {
  console.error("AUTHD_URL and AUTHD_SERVICE_KEY are required");
  process.exit(2);
}

const verifier = createVerifier({
  issuer: process.env.AUTHD_ISSUER || base,
  audience: process.env.AUTHD_AUDIENCE || "authd",
  jwksUrl: `${base}/.well-known/jwks.json`,
  revocationsUrl: `${base}/v1/revocations`,
  serviceKey,
});

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(json) });
  res.end(json);
}

const server = createServer(async (req, res) => {
  const path = req.url?.split("?")[0];
  if (req.method === "GET" && path === "/check") {
    const header = req.headers.authorization ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    try {
      const claims = await verifier.verify(token);
      send(res, 200, { sub: claims.sub, sid: claims.sid });
    } catch (err) {
      if (typeof err?.reason !== "string") {
        send(res, 500, { error: "internal" });
        console.error(err);
        return;
      }
      send(res, 401, { error: err.reason });
    }
  } else if (req.method === "GET" && path === "/status") {
    send(res, 200, verifier.status());
  } else {
    send(res, 404, { error: "not_found" });
  }
});

const stop = () => {
  verifier.close();
  server.close();
  server.closeAllConnections?.();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

try {
  await verifier.ready();
} catch (err) {
  console.error(`the revocation feed refused us: ${err.message}`);
  verifier.close();
  process.exit(1);
}
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
