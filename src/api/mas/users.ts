import * as v from "valibot";
import type { Ctx } from "../../http/context.ts";
import { MatrixError, missingParam } from "../../http/errors.ts";
import type { MasAccounts } from "../../mas/accounts.ts";
import { parseMasBody } from "./auth.ts";
import type { MasRoute } from "./routes.ts";

const localpartOnly = v.object({ localpart: v.string() });

const provisionSchema = v.object({
  localpart: v.string(),
  set_displayname: v.optional(v.string()),
  unset_displayname: v.optional(v.boolean(), false),
  set_avatar_url: v.optional(v.string()),
  unset_avatar_url: v.optional(v.boolean(), false),
  set_emails: v.optional(v.array(v.string())),
  unset_emails: v.optional(v.boolean(), false),
  locked: v.optional(v.boolean()),
});

/** Synapse decides set/unset conflicts by key presence, before looking at the values. */
function checkExclusivePairs(body: Record<string, unknown>): void {
  for (const field of ["displayname", "avatar_url", "emails"]) {
    if (`set_${field}` in body && `unset_${field}` in body) {
      throw new MatrixError(400, "M_INVALID_PARAM", `set_${field} and unset_${field} are mutually exclusive`);
    }
  }
}

export function registerMasUserRoutes(route: MasRoute, accounts: MasAccounts): void {
  route("GET", "query_user", async (c) => {
    const localpart = c.req.query("localpart");
    if (localpart === undefined) throw missingParam("localpart");
    return c.json(await accounts.queryUser(localpart));
  });

  route("POST", "provision_user", async (c) => {
    const body = await parseMasBody(c, provisionSchema, checkExclusivePairs);
    const created = await accounts.provisionUser(body);
    return c.json({}, created ? 201 : 200);
  });

  route("GET", "is_localpart_available", async (c: Ctx) => {
    const localpart = c.req.query("localpart");
    if (localpart === undefined) throw new MatrixError(400, "M_UNKNOWN", "Missing localpart");
    await accounts.isLocalpartAvailable(localpart);
    return c.json({});
  });

  route("POST", "delete_user", async (c) => {
    const body = await parseMasBody(c, v.object({ localpart: v.string(), erase: v.boolean() }));
    await accounts.deleteUser(body.localpart, body.erase);
    return c.json({});
  });

  route("POST", "reactivate_user", async (c) => {
    const body = await parseMasBody(c, localpartOnly);
    await accounts.reactivateUser(body.localpart);
    return c.json({});
  });

  route("POST", "set_displayname", async (c) => {
    const body = await parseMasBody(c, v.object({ localpart: v.string(), displayname: v.string() }));
    await accounts.setDisplayname(body.localpart, body.displayname);
    return c.json({});
  });

  route("POST", "unset_displayname", async (c) => {
    const body = await parseMasBody(c, localpartOnly);
    await accounts.setDisplayname(body.localpart, null);
    return c.json({});
  });

  route("POST", "allow_cross_signing_reset", async (c) => {
    const body = await parseMasBody(c, localpartOnly);
    await accounts.allowCrossSigningReset(body.localpart);
    return c.json({});
  });
}
