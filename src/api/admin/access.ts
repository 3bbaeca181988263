import type { Ctx, Requester } from "../../http/context.ts";
import { MatrixError, forbidden } from "../../http/errors.ts";
import type { Method, Router } from "../../http/router.ts";
import { auditAdminAction } from "../../admin/audit.ts";

export const ADMIN_PREFIX = "/_synapse/admin";

export type AdminHandler = (c: Ctx, admin: Requester) => Response | Promise<Response>;

export interface AdminRouteOptions {
  /**
   * The path parameter naming what the call acts on, for the audit line; a
   * function when it must be derived (or hidden, e.g. registration tokens).
   */
  target?: string | ((c: Ctx) => string);
}

/** Registers `/_synapse/admin<path>`: server admins only, each call audited. */
export type AdminRoute = (method: Method, path: string, name: string, handler: AdminHandler, opts?: AdminRouteOptions) => void;

/** Synapse's check: the requester (after puppeting) must be a server admin. */
export function requireServerAdmin(c: Ctx): Requester {
  const requester = c.get("requester");
  if (!requester?.isAdmin) throw forbidden("You are not a server admin");
  return requester;
}

export function adminRoute(router: Router): AdminRoute {
  return (method, path, name, handler, opts = {}) => {
    router.add(method, ADMIN_PREFIX + path, { auth: "required", name }, async (c) => {
      const requester = c.get("requester");
      const admin = requester.puppetedBy ?? requester.userId;
      const target = describeTarget(c, opts.target);
      try {
        const res = await handler(c, requireServerAdmin(c));
        auditAdminAction({ admin, action: name, target, status: res.status });
        return res;
      } catch (err) {
        if (err instanceof MatrixError) auditAdminAction({ admin, action: name, target, status: err.status, errcode: err.errcode });
        else auditAdminAction({ admin, action: name, target, status: 500, errcode: "M_UNKNOWN" });
        throw err;
      }
    });
  };
}

function describeTarget(c: Ctx, target: AdminRouteOptions["target"]): string {
  if (typeof target === "function") return target(c);
  if (typeof target === "string") return c.req.param(target) ?? "-";
  return "-";
}
