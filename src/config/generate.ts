import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { dirname, relative, resolve, isAbsolute } from "node:path";
import { randomBytes } from "node:crypto";

export interface GenerateOptions {
  serverName: string;
  configPath: string;
  /** Where the database, signing key and media go; relative to the working directory. */
  dataDir: string;
  port?: number;
}

const secret = () => randomBytes(32).toString("base64url");

/** Text of a fresh homeserver.yaml; paths are written relative to the config file. */
export function renderConfig(opts: GenerateOptions): string {
  const configDir = dirname(resolve(opts.configPath));
  const dataAbs = resolve(opts.dataDir);
  const rel = (p: string) => {
    const r = relative(configDir, resolve(dataAbs, p));
    return isAbsolute(r) ? r : r.startsWith("..") ? r : `./${r}`;
  };
  const port = opts.port ?? 8008;
  return `# Hearth homeserver configuration. Keys follow Synapse's homeserver.yaml.
# Relative paths are relative to this file's folder.
server_name: "${opts.serverName}"
public_baseurl: "http://localhost:${port}/"

listeners:
  - port: ${port}
    bind_addresses: ["127.0.0.1"]
    type: http
    x_forwarded: false
    resources:
      - names: [client, federation]
        compress: false

database:
  name: sqlite3
  args:
    database: "${rel("homeserver.db")}"
    # Hearth holds the file's locks while it runs (faster); false lets the sqlite3 shell
    # or a backup tool open the database meanwhile.
    # exclusive_lock: true
# For PostgreSQL:
# database:
#   name: psycopg2
#   args: { user: hearth, password: secret, dbname: hearth, host: 127.0.0.1, port: 5432, cp_min: 5, cp_max: 10 }

signing_key_path: "${rel(`${opts.serverName}.signing.key`)}"
media_store_path: "${rel("media_store")}"

# Used by 'hearth register-user' and /_synapse/admin/v1/register to create users.
registration_shared_secret: "${secret()}"
macaroon_secret_key: "${secret()}"
form_secret: "${secret()}"

enable_registration: false
enable_registration_without_verification: false

log_level: info
enable_metrics: false
report_stats: false
`;
}

export function writeGeneratedConfig(opts: GenerateOptions): void {
  if (existsSync(opts.configPath)) {
    throw new Error(`${opts.configPath} already exists; not overwriting it`);
  }
  mkdirSync(dirname(resolve(opts.configPath)), { recursive: true });
  mkdirSync(resolve(opts.dataDir), { recursive: true });
  writeFileSync(opts.configPath, renderConfig(opts), { mode: 0o600 });
}
