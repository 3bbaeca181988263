import { MatrixError } from "../http/errors.ts";

/** `password_config.policy` (when its `enabled` is true). */
export interface PasswordPolicy {
  minimum_length: number;
  require_digit: boolean;
  require_symbol: boolean;
  require_lowercase: boolean;
  require_uppercase: boolean;
}

/**
 * Refuses a new password that breaks the policy, with Synapse's errcodes,
 * messages and order. Lengths count code points, as Python's len() does.
 */
export function checkPasswordPolicy(password: string, policy: PasswordPolicy | undefined): void {
  if (!policy) return;
  const refuse = (errcode: string, msg: string) => new MatrixError(400, errcode, msg);
  if ([...password].length < policy.minimum_length) {
    throw refuse("M_PASSWORD_TOO_SHORT", `The password must be at least ${policy.minimum_length} characters long`);
  }
  if (policy.require_digit && !/[0-9]/.test(password)) throw refuse("M_PASSWORD_NO_DIGIT", "The password must include at least one digit");
  if (policy.require_symbol && !/[^a-zA-Z0-9]/.test(password)) {
    throw refuse("M_PASSWORD_NO_SYMBOL", "The password must include at least one symbol");
  }
  if (policy.require_uppercase && !/[A-Z]/.test(password)) {
    throw refuse("M_PASSWORD_NO_UPPERCASE", "The password must include at least one uppercase letter");
  }
  if (policy.require_lowercase && !/[a-z]/.test(password)) {
    throw refuse("M_PASSWORD_NO_LOWERCASE", "The password must include at least one lowercase letter");
  }
}

/** `GET /password_policy` (MSC2000, as Synapse serves it): `{}` when no policy is enforced. */
export function passwordPolicyView(policy: PasswordPolicy | undefined): Record<string, unknown> {
  if (!policy) return {};
  return Object.fromEntries(Object.entries(policy).map(([k, v]) => [`m.${k}`, v]));
}
