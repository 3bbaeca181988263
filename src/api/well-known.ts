import type { Router } from "../http/router.ts";
import type { Services } from "../services.ts";
import { unrecognized } from "../http/errors.ts";

export function registerWellKnownRoutes(router: Router, services: Services): void {
  const { config } = services;
  router.add("GET", "/.well-known/matrix/client", { name: "well_known_client" }, async (c) => {
    const body: Record<string, unknown> = { "m.homeserver": { base_url: config.public_baseurl } };
    if (services.mas) {
      // MSC2965: tells clients that MAS handles login (Synapse advertises it the same way).
      const { issuer, account_management_uri } = await services.mas.metadata.get();
      body["org.matrix.msc2965.authentication"] = { issuer, account: account_management_uri };
    }
    return c.json(body);
  });
  router.add("GET", "/.well-known/matrix/server", { name: "well_known_server" }, (c) => {
    // Synapse serves this only when asked to; otherwise delegation is the admin's web server's job.
    if (!config.serve_server_wellknown) throw unrecognized("No .well-known/matrix/server configured");
    const host = new URL(config.public_baseurl).host;
    const server = host.includes(":") ? host : `${host}:443`;
    return c.json({ "m.server": server });
  });
  router.add("GET", "/health", { name: "health" }, (c) => c.text("OK"));
}
