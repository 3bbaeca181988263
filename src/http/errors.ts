/**
 * The one kind of error a client sees. Thrown anywhere below the HTTP layer;
 * the error middleware turns it into `{errcode, error, ...extra}`.
 */
export class MatrixError extends Error {
  /** Extra response headers, e.g. Retry-After on M_LIMIT_EXCEEDED. */
  headers?: Record<string, string>;

  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "MatrixError";
  }

  toJSON(): Record<string, unknown> {
    return { errcode: this.errcode, error: this.message, ...this.extra };
  }
}

export const badJson = (msg: string) => new MatrixError(400, "M_BAD_JSON", msg);
export const notJson = (msg = "Content not JSON.") => new MatrixError(400, "M_NOT_JSON", msg);
export const missingParam = (name: string) =>
  new MatrixError(400, "M_MISSING_PARAM", `Missing parameter: ${name}`);
export const invalidParam = (msg: string) => new MatrixError(400, "M_INVALID_PARAM", msg);
export const forbidden = (msg: string) => new MatrixError(403, "M_FORBIDDEN", msg);
export const notFound = (msg: string) => new MatrixError(404, "M_NOT_FOUND", msg);
export const unrecognized = (msg = "Unrecognized request") => new MatrixError(404, "M_UNRECOGNIZED", msg);
export const unknownToken = (msg = "Unknown access token", softLogout = false) =>
  new MatrixError(401, "M_UNKNOWN_TOKEN", msg, { soft_logout: softLogout });
export const missingToken = (msg = "Missing access token") => new MatrixError(401, "M_MISSING_TOKEN", msg);
export const tooLarge = (msg: string) => new MatrixError(413, "M_TOO_LARGE", msg);
