// Every table of the schema, written once in SQLite terms; schema-pg.ts derives the
// PostgreSQL tables from these. Add each new aggregate's file here.
export * from "./server.ts";
export * from "./accounts.ts";
