import { histogram, SERVER_NAME_LABEL } from "../observability/metrics/registry.ts";

/**
 * Seconds per introspection round trip, by `code` (200, the HTTP status of a
 * non-2xx answer, or ERR) and server_name: Synapse's name, so its dashboards
 * work. Defined once per process; each homeserver labels its own series.
 */
export const introspectionResponseSeconds = histogram(
  "synapse_api_auth_delegated_introspection_response",
  "Time taken to get a response from the introspection endpoint",
  ["code", SERVER_NAME_LABEL],
);
