declare module "*.sql" {
  const text: string;
  export default text;
}

// prom-client ships types only for its index; src/observability/metrics/prom.ts re-types these.
declare module "prom-client/lib/*" {
  const value: unknown;
  export default value;
}
