import type { Router } from "../../http/router.ts";
import type { Services } from "../../services.ts";

/** The spec versions Hearth implements; clients pick features by these. */
export const SUPPORTED_SPEC_VERSIONS = [
  "r0.5.0", "r0.6.0", "r0.6.1",
  "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11", "v1.12",
];

export function registerVersionRoutes(router: Router, _services: Services): void {
  router.add("GET", "/_matrix/client/versions", { name: "versions", auth: "optional" }, (c) =>
    c.json({
      versions: SUPPORTED_SPEC_VERSIONS,
      unstable_features: {
        "org.matrix.msc2432": true,
        "org.matrix.msc3026.busy_presence": false,
        "org.matrix.label_based_filtering": false,
        "org.matrix.e2e_cross_signing": true,
        "org.matrix.msc3882": false,
      },
    }),
  );
}
