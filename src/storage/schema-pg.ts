import { getTableConfig, SQLiteTable, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import {
  pgTable,
  text,
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  json,
  index,
  uniqueIndex,
  primaryKey,
  type PgColumnBuilderBase,
} from "drizzle-orm/pg-core";
import { is } from "drizzle-orm";

/**
 * The schema is written once, in SQLite terms (schema/); this derives the
 * PostgreSQL tables from it, so the two databases cannot drift apart. This is
 * the one place where the dialects' column types differ: integers become
 * BIGINT (stream orderings and timestamps outgrow INT), booleans BOOLEAN,
 * JSON text JSON, reals DOUBLE PRECISION.
 */
export function toPgTables<T extends Record<string, unknown>>(sqlite: T): Record<keyof T, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, table] of Object.entries(sqlite)) {
    if (is(table, SQLiteTable)) out[name] = toPgTable(table);
  }
  return out as Record<keyof T, unknown>;
}

function toPgTable(table: SQLiteTable) {
  const cfg = getTableConfig(table);
  const byName = new Map<string, string>();
  const columns: Record<string, PgColumnBuilderBase> = {};
  for (const [prop, col] of Object.entries(table) as Array<[string, unknown]>) {
    if (!cfg.columns.includes(col as SQLiteColumn)) continue;
    const c = col as SQLiteColumn;
    byName.set(c.name, prop);
    columns[prop] = convertColumn(c);
  }
  return pgTable(cfg.name, columns, (t: Record<string, any>) => {
    const extras: any[] = [];
    const cols = (list: Array<{ name: string }>) => list.map((c) => t[byName.get(c.name)!]);
    for (const pk of cfg.primaryKeys) {
      const [first, ...rest] = cols(pk.columns);
      extras.push(primaryKey({ name: pk.getName(), columns: [first, ...rest] }));
    }
    for (const idx of cfg.indexes) {
      const ic = idx.config;
      const [first, ...rest] = cols(ic.columns as Array<{ name: string }>);
      const built = (ic.unique ? uniqueIndex(ic.name) : index(ic.name)).on(first, ...rest);
      // Partial indexes stay partial (their condition is plain SQL both databases read).
      extras.push(ic.where ? built.where(ic.where) : built);
    }
    for (const uq of cfg.uniqueConstraints) {
      const [first, ...rest] = cols(uq.columns);
      extras.push(uniqueIndex(uq.name ?? `${cfg.name}_${uq.columns.map((c) => c.name).join("_")}_unique`).on(first, ...rest));
    }
    return extras;
  });
}

function convertColumn(c: SQLiteColumn): PgColumnBuilderBase {
  const any = c as any;
  let b: any;
  switch (c.columnType) {
    case "SQLiteText":
      b = text(c.name);
      break;
    case "SQLiteTextJson":
      b = json(c.name);
      break;
    case "SQLiteBoolean":
      b = boolean(c.name);
      break;
    case "SQLiteReal":
      b = doublePrecision(c.name);
      break;
    case "SQLiteInteger":
    case "SQLiteTimestamp":
      b = any.autoIncrement ? bigserial(c.name, { mode: "number" }) : bigint(c.name, { mode: "number" });
      break;
    default:
      throw new Error(`schema-pg: column ${c.name} has type ${c.columnType}, which has no PostgreSQL mapping yet`);
  }
  if (c.primary) b = b.primaryKey();
  else if (c.notNull && !any.autoIncrement) b = b.notNull();
  if (c.hasDefault && c.default !== undefined) b = b.default(c.default);
  if (any.defaultFn) b = b.$defaultFn(any.defaultFn);
  if (c.isUnique) b = b.unique(c.uniqueName);
  return b;
}
