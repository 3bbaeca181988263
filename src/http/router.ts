import type { Hono, MiddlewareHandler } from "hono";
import type { AppEnv, Ctx, Requester } from "./context.ts";
import { invalidParam } from "./errors.ts";

export type Method = "GET" | "POST" | "PUT" | "DELETE";
export type Handler = (c: Ctx) => Response | Promise<Response>;
export type AuthMode = "required" | "optional" | "none";

export interface RouteOptions {
  /** Servlet name for metrics and logs; defaults to the path pattern. */
  name?: string;
  auth?: AuthMode;
}

export type Authenticator = (c: Ctx, mode: Exclude<AuthMode, "none">) => Promise<Requester | undefined>;

export const CLIENT_PREFIXES = ["/_matrix/client/v3", "/_matrix/client/r0"] as const;

const NUL_IN_URL = /%00/i;

/**
 * Registers routes on the homeserver's Hono app, remembering every pattern so
 * that a known path called with the wrong method answers 405, not 404.
 */
export class Router {
  readonly #patterns: Array<{ method: Method; regex: RegExp }> = [];
  /** Told of every authenticated request, synchronously (devices' last-seen tracking); must be cheap and not throw. */
  readonly authenticated = new Set<(requester: Requester, c: Ctx) => void>();

  constructor(
    readonly app: Hono<AppEnv>,
    private readonly authenticate: Authenticator,
  ) {}

  /** A Client-Server endpoint, under both /v3 and /r0 (older clients still call r0). */
  client(method: Method, path: string, opts: RouteOptions, handler: Handler): void {
    for (const prefix of CLIENT_PREFIXES) this.add(method, prefix + path, { name: opts.name ?? path, ...opts }, handler);
  }

  /** A route at an exact path (e.g. /_matrix/client/v1/..., /_synapse/admin/...). */
  add(method: Method, fullPath: string, opts: RouteOptions, handler: Handler): void {
    const name = opts.name ?? fullPath;
    const auth = opts.auth ?? "none";
    const mw: MiddlewareHandler<AppEnv> = async (c, next) => {
      c.set("servlet", name);
      // No identifier, type, key or token holds NUL, and PostgreSQL's text cannot store one.
      if (NUL_IN_URL.test(c.req.url)) throw invalidParam("The path and query must not contain NUL (%00)");
      if (auth !== "none") {
        const requester = await this.authenticate(c, auth);
        if (requester) {
          c.set("requester", requester);
          for (const fn of this.authenticated) fn(requester, c);
        }
      }
      await next();
    };
    this.app.on(method, fullPath, mw, (c) => handler(c));
    this.#patterns.push({ method, regex: patternToRegex(fullPath) });
  }

  /** True when some route matches the path with another method. */
  hasPathWithOtherMethod(path: string, method: string): boolean {
    return this.#patterns.some((p) => p.method !== method && p.regex.test(path));
  }
}

function patternToRegex(path: string): RegExp {
  const src = path
    .split("/")
    .map((seg) => {
      if (seg.startsWith(":")) {
        const custom = seg.match(/^:[^{]+\{(.+)\}$/);
        return custom ? `(?:${custom[1]})` : "[^/]+";
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return new RegExp(`^${src}/?$`);
}
