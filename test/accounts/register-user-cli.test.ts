import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestHomeserver } from "../support/homeserver.ts";
import { login, startAccountsHomeserver } from "./helpers.ts";

const ROOT = join(import.meta.dir, "../..");

async function cli(args: string[], stdin = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([join(ROOT, "node_modules/.bin/bun"), "src/main.ts", "register-user", ...args], {
    cwd: ROOT,
    stdin: new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

describe("hearth register-user", () => {
  let t: TestHomeserver;
  beforeAll(async () => {
    // Registration is off: the shared secret still works.
    t = await startAccountsHomeserver({ config: { enable_registration: false } });
  });
  afterAll(() => t.stop());

  test("creates an admin with -k and prints its user id", async () => {
    const r = await cli(["-k", "test-shared-secret", "-u", "root", "-p", "s3cret!", "-a", t.baseUrl]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("@root:test.local");
    const user = await t.hs.services.stores.users.get("@root:test.local");
    expect(user?.admin).toBe(true);
    expect((await login(t, "root", "s3cret!")).status).toBe(200);
  });

  test("reads the secret from a homeserver.yaml (via registration_shared_secret_path) and defaults to no admin", async () => {
    const secretFile = join(t.dir, "cli.secret");
    writeFileSync(secretFile, "test-shared-secret\n");
    const configFile = join(t.dir, "cli-homeserver.yaml");
    writeFileSync(configFile, `server_name: test.local\nregistration_shared_secret_path: ${secretFile}\n`);
    const r = await cli(["-c", configFile, "-u", "plain", "-p", "pw", t.baseUrl]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("@plain:test.local");
    expect((await t.hs.services.stores.users.get("@plain:test.local"))?.admin).toBe(false);
  });

  test("fails clearly: wrong secret, existing user, no secret given, missing user without a terminal", async () => {
    const wrong = await cli(["-k", "not-the-secret", "-u", "intruder", "-p", "pw", t.baseUrl]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("HMAC incorrect");
    expect(await t.hs.services.stores.users.get("@intruder:test.local")).toBeUndefined();

    const exists = await cli(["-k", "test-shared-secret", "-u", "root", "-p", "x", "--no-admin", t.baseUrl]);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toContain("User ID already taken");
    const existsOk = await cli(["-k", "test-shared-secret", "-u", "root", "-p", "x", "--exists-ok", t.baseUrl]);
    expect(existsOk.code).toBe(0);

    const noSecret = await cli(["-u", "x", "-p", "y", t.baseUrl]);
    expect(noSecret.code).not.toBe(0);
    expect(noSecret.stderr).toContain("-k");

    const noUser = await cli(["-k", "test-shared-secret", "-p", "y", t.baseUrl]);
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toContain("--user");

    const unreachable = await cli(["-k", "s", "-u", "x", "-p", "y", "http://127.0.0.1:9"]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("cannot reach");
  });
});
