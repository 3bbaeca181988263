import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, ConfigError } from "../../src/config/load.ts";
import { masSettings, masEndpoint } from "../../src/mas/config.ts";

const base = { server_name: "example.org" };
const mas = { enabled: true, endpoint: "http://mas:8080/", secret: "s3cret" };

function errorOf(input: Record<string, unknown>, path = "/etc/hearth/homeserver.yaml"): string {
  try {
    parseConfig(input, path);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a config error");
}

describe("matrix_authentication_service config", () => {
  test("missing, null and {} sections mean disabled", () => {
    for (const section of [undefined, null, {}]) {
      const { config } = parseConfig({ ...base, matrix_authentication_service: section });
      expect(masSettings(config)).toBeUndefined();
    }
  });

  test("an enabled section gives the derived URLs and the secret", () => {
    const { config } = parseConfig({ ...base, matrix_authentication_service: mas });
    expect(masSettings(config)).toEqual({
      endpoint: "http://mas:8080",
      introspectionUrl: "http://mas:8080/oauth2/introspect",
      metadataUrl: "http://mas:8080/.well-known/openid-configuration",
      secret: "s3cret",
      forceHttp2: false,
    });
  });

  test("a sub-path is kept in both derived URLs; a bare host is normalised", () => {
    const { config } = parseConfig({ ...base, matrix_authentication_service: { ...mas, endpoint: "http://mas:8080/auth/path/" } });
    const s = masSettings(config)!;
    expect(s.introspectionUrl).toBe("http://mas:8080/auth/path/oauth2/introspect");
    expect(s.metadataUrl).toBe("http://mas:8080/auth/path/.well-known/openid-configuration");
    expect(masEndpoint("https://mas.example.com")).toBe("https://mas.example.com");
    expect(masEndpoint("http://mas:8080/auth/path")).toBe("http://mas:8080/auth/path");
  });

  test("the default endpoint is http://localhost:8080", () => {
    const { config } = parseConfig({ ...base, matrix_authentication_service: { enabled: true, secret: "x" } });
    expect(masSettings(config)!.introspectionUrl).toBe("http://localhost:8080/oauth2/introspect");
  });

  test("endpoint must be an http(s) URL", () => {
    for (const endpoint of ["not a url", "ftp://mas/", "mas:8080"]) {
      const msg = errorOf({ ...base, matrix_authentication_service: { ...mas, endpoint } });
      expect(msg).toContain("config error: matrix_authentication_service:");
      expect(msg).toContain("Could not validate Matrix Authentication Service configuration");
    }
  });

  test("types are strict", () => {
    expect(errorOf({ ...base, matrix_authentication_service: { ...mas, enabled: "true" } })).toContain(
      "matrix_authentication_service.enabled",
    );
    expect(errorOf({ ...base, matrix_authentication_service: { ...mas, secret: 42 } })).toContain(
      "matrix_authentication_service.secret",
    );
  });

  test("unknown keys inside the section are ignored", () => {
    const { config } = parseConfig({ ...base, matrix_authentication_service: { ...mas, whatever: 1 } });
    expect(masSettings(config)!.secret).toBe("s3cret");
  });

  test("exactly one of secret and secret_path when enabled (an empty secret counts as unset)", () => {
    expect(errorOf({ ...base, matrix_authentication_service: { enabled: true } })).toContain("You must set a `secret` or `secret_path`");
    expect(errorOf({ ...base, matrix_authentication_service: { enabled: true, secret: "" } })).toContain("You must set a `secret` or `secret_path`");
    const dir = mkdtempSync(join(tmpdir(), "hearth-mas-"));
    writeFileSync(join(dir, "secret"), "from-file");
    expect(errorOf({ ...base, matrix_authentication_service: { enabled: true, secret: "a", secret_path: join(dir, "secret") } })).toContain(
      "`secret` and `secret_path` cannot be set at the same time.",
    );
    // Disabled: no secret needed.
    expect(() => parseConfig({ ...base, matrix_authentication_service: { enabled: false } })).not.toThrow();
  });

  test("secret_path is read once, trimmed, relative to the config file", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-mas-"));
    writeFileSync(join(dir, "mas_secret"), "  from-file\n");
    const { config } = parseConfig(
      { ...base, matrix_authentication_service: { enabled: true, secret_path: "mas_secret" } },
      join(dir, "homeserver.yaml"),
    );
    expect(masSettings(config)!.secret).toBe("from-file");
  });

  test("secret_path must exist (even while disabled, as Synapse) and not be empty", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-mas-"));
    expect(errorOf({ ...base, matrix_authentication_service: { enabled: true, secret_path: join(dir, "nope") } })).toContain(
      "matrix_authentication_service.secret_path",
    );
    expect(errorOf({ ...base, matrix_authentication_service: { enabled: false, secret_path: join(dir, "nope") } })).toContain(
      "does not exist",
    );
    writeFileSync(join(dir, "empty"), "\n");
    expect(errorOf({ ...base, matrix_authentication_service: { enabled: true, secret_path: join(dir, "empty") } })).toContain("is empty");
  });

  // Each conflicting setting, and the key the error must name.
  const conflicts: Array<[string, Record<string, unknown>, string]> = [
    ["password login", { password_config: { enabled: true } }, "password_config.enabled"],
    ["password for re-auth only", { password_config: { enabled: "only_for_reauth" } }, "password_config.enabled"],
    ["open registration", { enable_registration: true }, "enable_registration"],
    ["user consent", { user_consent: { version: "1.0", template_dir: "res/templates" } }, "user_consent"],
    ["OIDC providers", { oidc_providers: [{ idp_id: "x", issuer: "https://x" }] }, "oidc_providers"],
    ["legacy oidc_config", { oidc_config: { enabled: true } }, "oidc_config"],
    ["SAML2", { saml2_config: { sp_config: { metadata: {} } } }, "saml2_config"],
    ["CAS", { cas_config: { enabled: true, server_url: "https://cas" } }, "cas_config"],
    ["JWT", { jwt_config: { enabled: true, secret: "x", algorithm: "HS256" } }, "jwt_config"],
    ["password providers", { password_providers: [{ module: "ldap_auth_provider.LdapAuthProvider" }] }, "password_providers"],
    ["captcha", { enable_registration_captcha: true }, "enable_registration_captcha"],
    ["login via existing session", { login_via_existing_session: { enabled: true } }, "login_via_existing_session.enabled"],
    ["refreshable tokens", { refresh_token_lifetime: "24h" }, "refresh_token_lifetime"],
    ["non-refreshable token lifetime", { nonrefreshable_access_token_lifetime: "1h" }, "nonrefreshable_access_token_lifetime"],
    ["session lifetime", { session_lifetime: "30d" }, "session_lifetime"],
    ["3pid changes", { enable_3pid_changes: true }, "enable_3pid_changes"],
  ];
  for (const [what, extra, key] of conflicts) {
    test(`conflict: ${what} is a config error naming ${key}`, () => {
      const msg = errorOf({ ...base, ...extra, matrix_authentication_service: mas });
      expect(msg.startsWith(`config error: ${key}: `)).toBe(true);
      expect(msg).toContain("Matrix Authentication Service");
      // Without delegation the same setting is fine.
      expect(() => parseConfig({ ...base, ...extra, matrix_authentication_service: { ...mas, enabled: false } })).not.toThrow();
    });
  }

  test("disabled variants of the conflicting settings are accepted with MAS on", () => {
    const { config } = parseConfig({
      ...base,
      password_config: { enabled: false },
      enable_registration: false,
      oidc_providers: [{ idp_id: "x", enabled: false }],
      jwt_config: { enabled: false },
      cas_config: { enabled: false },
      password_providers: [],
      login_via_existing_session: { enabled: false },
      enable_3pid_changes: false,
      matrix_authentication_service: mas,
    });
    expect(masSettings(config)).toBeDefined();
  });

  test("a non-empty legacy experimental_features.msc3861 says to use the stable section", () => {
    for (const msc3861 of [{ enabled: true, issuer: "https://mas/" }, { enabled: false }]) {
      const msg = errorOf({ ...base, experimental_features: { msc3861 } });
      expect(msg).toBe(
        "config error: experimental_features.msc3861: experimental_features.msc3861 was removed. Use the matrix_authentication_service configuration instead.",
      );
    }
    expect(() => parseConfig({ ...base, experimental_features: { msc3861: {} } })).not.toThrow();
  });

  test("MSC4108 (QR login) flags need MAS", () => {
    expect(errorOf({ ...base, experimental_features: { msc4108_enabled: true } })).toContain("experimental_features.msc4108_enabled");
    expect(() => parseConfig({ ...base, experimental_features: { msc4108_enabled: true }, matrix_authentication_service: mas })).not.toThrow();
  });
});
