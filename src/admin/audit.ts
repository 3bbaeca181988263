import { getLogger } from "@logtape/logtape";

const log = () => getLogger(["hearth", "admin", "audit"]);

export interface AuditRecord {
  /** The server admin who made the request (the puppeteer when an admin acts as a user). */
  admin: string;
  /** What was done, e.g. "admin_user_deactivate". */
  action: string;
  /** Whom or what it was done to: a user id, a room id, "-" when nothing in particular. */
  target: string;
  /** HTTP status of the answer. */
  status: number;
  /** The errcode when it was refused. */
  errcode?: string;
}

/**
 * One INFO line per admin API call, whatever its outcome. Only identifiers go
 * in: never bodies, passwords, access or registration tokens.
 */
export function auditAdminAction(r: AuditRecord): void {
  const outcome = r.errcode ? `${r.status} ${r.errcode}` : String(r.status);
  log().info("Admin {admin} {action} {target}: {outcome}", { ...r, outcome });
}
