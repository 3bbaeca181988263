import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { loadConfigFile, type HomeserverConfig } from "../config/load.ts";
import { registrationMac } from "../accounts/shared-secret.ts";
import { readLine, readHidden } from "./prompt.ts";

const DEFAULT_SERVER_URL = "http://localhost:8008";

const USAGE = `Usage: hearth register-user [options] [server_url]

Creates a user through the shared-secret registration API (like Synapse's
register_new_matrix_user), also when registration is disabled.

Options:
  -u, --user USER          localpart of the new user (prompted for when missing)
  -p, --password PASS      password (prompted for when missing)
      --password-file F    read the password from a file
  -t, --user_type TYPE     user type (support, bot)
  -a, --admin              make the user a server admin
      --no-admin           make a regular user (default when not prompting)
  -c, --config FILE        homeserver.yaml to read registration_shared_secret(_path) from
  -k, --shared-secret S    the shared secret itself
      --exists-ok          succeed when the user already exists
  server_url               default: the config's client listener, else ${DEFAULT_SERVER_URL}
`;

class CliError extends Error {}

/** `hearth register-user`; returns the process exit code. */
export async function registerUserCli(args: string[]): Promise<number> {
  try {
    return await run(args);
  } catch (err) {
    console.error(`hearth register-user: ${err instanceof CliError ? err.message : String(err)}`);
    return 1;
  }
}

async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        user: { type: "string", short: "u" },
        password: { type: "string", short: "p" },
        "password-file": { type: "string" },
        user_type: { type: "string", short: "t" },
        admin: { type: "boolean", short: "a" },
        "no-admin": { type: "boolean" },
        config: { type: "string", short: "c" },
        "shared-secret": { type: "string", short: "k" },
        "exists-ok": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    console.error(`hearth register-user: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new CliError(`unexpected argument ${positionals[1]}`);
  if (values.admin && values["no-admin"]) throw new CliError("--admin and --no-admin cannot be combined");
  if (values.password !== undefined && values["password-file"] !== undefined) throw new CliError("--password and --password-file cannot be combined");
  if ((values.config === undefined) === (values["shared-secret"] === undefined)) {
    throw new CliError("give exactly one of -c/--config FILE or -k/--shared-secret SECRET");
  }

  const config = values.config !== undefined ? loadConfig(values.config) : undefined;
  const secret = values["shared-secret"] ?? secretFromConfig(config!);
  const serverUrl = positionals[0] ?? (config ? serverUrlFromConfig(config) : undefined) ?? defaultUrl();

  const interactive = Boolean(process.stdin.isTTY);
  let user = values.user;
  if (!user) {
    if (!interactive) throw new CliError("-u/--user is required when stdin is not a terminal");
    const fallback = safeUsername();
    user = (await readLine(fallback ? `New user localpart [${fallback}]: ` : "New user localpart: ")) || fallback;
  }
  if (!user) throw new CliError("Invalid user name");

  let password = values["password-file"] !== undefined ? readText(values["password-file"]).trim() : values.password;
  if (!password) {
    if (!interactive) throw new CliError("-p/--password or --password-file is required when stdin is not a terminal");
    password = await readHidden("Password: ");
    if (!password) throw new CliError("Password cannot be blank.");
    if ((await readHidden("Confirm password: ")) !== password) throw new CliError("Passwords do not match");
  }

  let admin = values.admin ? true : values["no-admin"] ? false : undefined;
  if (admin === undefined) admin = interactive ? ["y", "yes", "true"].includes((await readLine("Make admin [no]: ")).toLowerCase()) : false;

  return register({ user, password, admin, userType: values.user_type, secret, serverUrl, existsOk: values["exists-ok"] ?? false });
}

async function register(o: {
  user: string;
  password: string;
  admin: boolean;
  userType: string | undefined;
  secret: string;
  serverUrl: string;
  existsOk: boolean;
}): Promise<number> {
  const url = `${o.serverUrl.replace(/\/+$/, "")}/_synapse/admin/v1/register`;
  const nonceRes = await request(url, { method: "GET" });
  if (nonceRes.status !== 200 || typeof nonceRes.body?.nonce !== "string") return failure(nonceRes);
  const nonce = nonceRes.body.nonce as string;
  const mac = registrationMac(o.secret, { nonce, username: o.user, password: o.password, admin: o.admin, userType: o.userType });
  console.error("Sending registration request...");
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ nonce, username: o.user, password: o.password, mac, admin: o.admin, user_type: o.userType ?? null }),
  });
  if (res.status !== 200) {
    if (o.existsOk && res.body?.errcode === "M_USER_IN_USE") {
      console.log("User already exists. Skipping.");
      return 0;
    }
    return failure(res);
  }
  console.log(`Success! Registered ${res.body.user_id}${o.admin ? " (admin)" : ""}`);
  return 0;
}

async function request(url: string, init: RequestInit): Promise<{ status: number; statusText: string; body: any }> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (err) {
    throw new CliError(`cannot reach ${url}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, statusText: res.statusText, body };
}

function failure(res: { status: number; statusText: string; body: any }): number {
  const detail = typeof res.body?.error === "string" ? `: ${res.body.error}` : "";
  console.error(`ERROR! Received ${res.status} ${res.statusText}${detail}`);
  return 1;
}

function loadConfig(path: string): HomeserverConfig {
  try {
    return loadConfigFile(path).config;
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

function secretFromConfig(config: HomeserverConfig): string {
  const inline = config.registration_shared_secret;
  const path = config.registration_shared_secret_path;
  if (inline && path) {
    throw new CliError("Conflicting options 'registration_shared_secret' and 'registration_shared_secret_path' are both defined in config file.");
  }
  if (inline) return inline;
  if (!path) throw new CliError("No 'registration_shared_secret' or 'registration_shared_secret_path' defined in config.");
  const secret = readText(path).trim();
  if (!secret) throw new CliError("The secret given via `registration_shared_secret_path` must not be empty.");
  return secret;
}

/** An HTTP listener serving the client API, reached on this machine (as Synapse's tool does). */
function serverUrlFromConfig(config: HomeserverConfig): string | undefined {
  const listener = config.listeners.find((l) => l.type === "http" && l.resources.some((r) => r.names.includes("client")));
  if (listener) return `http://localhost:${listener.port}`;
  console.error(`No HTTP listener with the client resource in the config; trying ${config.public_baseurl}`);
  return config.public_baseurl;
}

function defaultUrl(): string {
  console.error(`No server URL or configuration file given. Defaulting to ${DEFAULT_SERVER_URL}.`);
  return DEFAULT_SERVER_URL;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return "";
  }
}
