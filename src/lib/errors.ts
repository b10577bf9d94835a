/**
 * The one error type of the HTTP layer. Handlers throw it; `app.onError`
 * turns it into the native shape `{error: {code, message, details?}}` or,
 * under the upstream-compatible paths, the upstream's `{message, statusCode}`.
 */
export interface ErrorDetail {
  field: string;
  rule: string;
  message: string;
  /** A budget refusal's figures (`budget_exceeded`): the budget, the credits used, when the month ends. */
  budget?: number;
  used?: number;
  resets_at?: string;
}

export type ApiErrorStatus = 400 | 401 | 402 | 403 | 404 | 409 | 413 | 415 | 416 | 422 | 429 | 500 | 503;

export class ApiError extends Error {
  /** The status the upstream-compatible paths answer instead, where the upstream's own differs. */
  compatStatus?: ApiErrorStatus;

  constructor(
    readonly status: ApiErrorStatus,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const notFound = (what = "generation"): ApiError =>
  new ApiError(404, "not_found", `No ${what} with this id is visible to this key`);

/** A caught value as one line for the timeline or a log. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
