// Every table of the schema, written once in SQLite terms; schema-pg.ts derives the
// PostgreSQL tables from these. Add each new aggregate's file here.
export * from "./server.ts";
export * from "./accounts.ts";
export * from "./sync.ts";
export * from "./e2ee.ts";
export * from "./admin.ts";
export * from "./rooms.ts";
export * from "./directory.ts";
