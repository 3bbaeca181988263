// How Hearth opens an SQLite database file (the server's connection and the WAL worker's).
import { constants } from "bun:sqlite";

/** Open flags for the URI `sqliteFileUri` gives (bun:sqlite takes flags or options, not both). */
export const SQLITE_OPEN_FLAGS = constants.SQLITE_OPEN_READWRITE | constants.SQLITE_OPEN_CREATE | constants.SQLITE_OPEN_URI;

/**
 * `path` as an SQLite URI (percent-encoding what a URI reserves). With `exclusiveLock`
 * it names SQLite's `unix-excl` VFS: this process holds the database's file locks for as
 * long as it has it open, so a transaction takes and drops no lock of its own (the
 * default VFS makes four `fcntl` calls for a write transaction and two for every read
 * outside one, ~2 µs each on a VM). Connections within the process (the WAL checkpoint
 * worker's) share the locks as before; another process (a second server, the sqlite3
 * shell) cannot open the database while Hearth runs. Without it, the default VFS.
 */
export function sqliteFileUri(path: string, exclusiveLock: boolean): string {
  const escaped = path.replace(/[%?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
  return exclusiveLock ? `file:${escaped}?vfs=unix-excl` : `file:${escaped}`;
}
