// Room directory (spec "Room aliases", "Room discovery"): alias mappings, a room's local
// aliases, the published room list and each room's visibility in it.
import * as v from "valibot";
import type { Router } from "../../http/router.ts";
import type { Ctx } from "../../http/context.ts";
import type { Services } from "../../services.ts";
import { parseBody } from "../../http/body.ts";
import { invalidParam } from "../../http/errors.ts";
import { isValidRoomAlias, isValidRoomId, isValidServerName } from "../../matrix/identifiers.ts";
import { intQuery, roomIdParam } from "./room-params.ts";

function aliasParam(c: Ctx): string {
  const alias = c.req.param("roomAlias") ?? "";
  if (!isValidRoomAlias(alias)) throw invalidParam("Room alias invalid");
  return alias;
}

const roomIdSchema = v.pipe(v.string("expected a room id"), v.check((s) => isValidRoomId(s), "expected a valid room id"));

const setAliasSchema = v.looseObject({ room_id: roomIdSchema });

const visibilitySchema = v.looseObject({
  visibility: v.optional(v.picklist(["public", "private"], "expected public or private"), "public"),
});

const publicRoomsSchema = v.looseObject({
  limit: v.optional(v.pipe(v.number("expected an integer"), v.integer("expected an integer"), v.minValue(0, "must not be negative"))),
  since: v.optional(v.string("expected a string")),
  filter: v.optional(
    v.looseObject({
      generic_search_term: v.optional(v.string("expected a string")),
      room_types: v.optional(v.array(v.nullable(v.string("expected a string or null")), "expected a list")),
    }),
  ),
  include_all_networks: v.optional(v.boolean("expected true or false")),
  third_party_instance_id: v.optional(v.string("expected a string")),
});

/** POST without a limit gets 100 rooms, as Synapse; 0 means no limit. */
const DEFAULT_POST_LIMIT = 100;

function serverQuery(c: Ctx): string | undefined {
  const server = c.req.query("server");
  if (server !== undefined && !isValidServerName(server)) throw invalidParam("Invalid server name");
  return server;
}

export function registerDirectoryRoutes(router: Router, services: Services): void {
  const { aliases, roomList } = services.directory;

  router.client("GET", "/directory/room/:roomAlias", { auth: "none", name: "room_alias_get" }, async (c) => {
    return c.json(await aliases.lookup(aliasParam(c)));
  });

  router.client("PUT", "/directory/room/:roomAlias", { auth: "required", name: "room_alias_put" }, async (c) => {
    const alias = aliasParam(c);
    const body = await parseBody(c, setAliasSchema);
    await aliases.setAlias(c.get("requester"), alias, body.room_id);
    return c.json({});
  });

  router.client("DELETE", "/directory/room/:roomAlias", { auth: "required", name: "room_alias_delete" }, async (c) => {
    await aliases.deleteAlias(c.get("requester"), aliasParam(c));
    return c.json({});
  });

  router.client("GET", "/rooms/:roomId/aliases", { auth: "required", name: "room_aliases" }, async (c) => {
    return c.json({ aliases: await aliases.aliasesForRoom(c.get("requester"), roomIdParam(c)) });
  });

  router.client("GET", "/directory/list/room/:roomId", { auth: "none", name: "room_directory_visibility" }, async (c) => {
    return c.json({ visibility: await roomList.visibility(roomIdParam(c)) });
  });

  router.client("PUT", "/directory/list/room/:roomId", { auth: "required", name: "room_directory_visibility_put" }, async (c) => {
    const roomId = roomIdParam(c);
    const body = await parseBody(c, visibilitySchema);
    await roomList.setVisibility(c.get("requester"), roomId, body.visibility);
    return c.json({});
  });

  // Synapse's default (allow_public_rooms_without_auth: false): the list needs a token.
  router.client("GET", "/publicRooms", { auth: "required", name: "public_rooms" }, async (c) => {
    const limit = intQuery(c, "limit", 0, 0, Number.MAX_SAFE_INTEGER);
    const page = await roomList.publicRooms({
      limit: limit === 0 ? undefined : limit,
      since: c.req.query("since"),
      server: serverQuery(c),
    });
    return c.json(page);
  });

  router.client("POST", "/publicRooms", { auth: "required", name: "public_rooms_filtered" }, async (c) => {
    const server = serverQuery(c);
    const body = await parseBody(c, publicRoomsSchema, { allowEmpty: true });
    const limit = body.limit ?? DEFAULT_POST_LIMIT;
    const page = await roomList.publicRooms({ ...body, limit: limit === 0 ? undefined : limit, server });
    return c.json(page);
  });
}
