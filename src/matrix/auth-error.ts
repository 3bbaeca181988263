/** An event fails the authorisation rules; `reason` says which rule, for logs and 403 bodies. */
export class AuthError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "AuthError";
  }
}

export function reject(reason: string): never {
  throw new AuthError(reason);
}
