// PostgreSQL errors that mean bad input, not a failure of the server.

/**
 * Whether PostgreSQL refused a text holding NUL (U+0000), which its text type cannot store:
 * input the request paths do not screen out, answered as bad input rather than a failure.
 */
export function refusesNul(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (code === "22021" || code === "22P05") return true;
  }
  return false;
}
