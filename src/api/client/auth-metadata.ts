import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";

/** Synapse's caching advice for the discovery document. */
const CACHE_CONTROL = "public, max-age=600, s-maxage=3600, stale-while-revalidate=600";

/**
 * OAuth 2.0 server metadata (spec v1.15, MSC2965): where clients learn that
 * MAS handles login. Registered only when delegation is on; otherwise the
 * paths are unknown, as in Synapse.
 */
export function registerAuthMetadataRoutes(router: Router, services: Services): void {
  const mas = services.mas;
  if (!mas) return;
  const paths = [
    "/_matrix/client/v1/auth_metadata",
    "/_matrix/client/unstable/auth_metadata",
    "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata",
  ];
  for (const path of paths) {
    router.add("GET", path, { name: "auth_metadata" }, async (c) => {
      const metadata = await mas.metadata.get();
      return c.json(metadata, 200, { "Cache-Control": CACHE_CONTROL });
    });
  }
  router.add("GET", "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer", { name: "auth_issuer" }, async (c) => {
    const { issuer } = await mas.metadata.get();
    return c.json({ issuer }, 200, { "Cache-Control": CACHE_CONTROL });
  });
}
