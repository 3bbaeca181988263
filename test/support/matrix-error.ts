import { MatrixError } from "../../src/http/errors.ts";

/** The MatrixError `fn` throws (status, errcode, message); anything else it throws, or no throw, fails the test. */
export function errorOf(fn: () => unknown): { status: number; errcode: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof MatrixError) return { status: e.status, errcode: e.errcode, message: e.message };
    throw e;
  }
  throw new Error("expected a MatrixError");
}
