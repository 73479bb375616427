/**
 * One small hierarchy: every error the API answers with carries its HTTP status and a stable,
 * machine-readable code; the error mapper turns it into application/problem+json (RFC 9457).
 */
export interface AppErrorOptions {
  readonly code?: string;
  readonly cause?: unknown;
  /** Field errors or other client-safe detail. */
  readonly errors?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Keep what the request's transaction changed before this refusal, instead of rolling it back:
   * e.g. a wrong password counted toward the account's lockout.
   */
  readonly commit?: boolean;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors?: AppErrorOptions['errors'];
  readonly headers?: AppErrorOptions['headers'];
  readonly commit: boolean;

  constructor(status: number, defaultCode: string, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.status = status;
    this.code = options.code ?? defaultCode;
    this.errors = options.errors;
    this.headers = options.headers;
    this.commit = options.commit ?? false;
  }
}

const kind = (status: number, defaultCode: string, name: string) =>
  class extends AppError {
    constructor(message: string, options?: AppErrorOptions) {
      super(status, defaultCode, message, options);
      this.name = name;
    }
  };

export const BadRequestError = kind(400, 'bad_request', 'BadRequestError');
export const UnauthorizedError = kind(401, 'unauthorized', 'UnauthorizedError');
export const ForbiddenError = kind(403, 'forbidden', 'ForbiddenError');
export const NotFoundError = kind(404, 'not_found', 'NotFoundError');
export const MethodNotAllowedError = kind(405, 'method_not_allowed', 'MethodNotAllowedError');
export const ConflictError = kind(409, 'conflict', 'ConflictError');
export const PreconditionFailedError = kind(412, 'precondition_failed', 'PreconditionFailedError');
export const PayloadTooLargeError = kind(413, 'payload_too_large', 'PayloadTooLargeError');
export const UnsupportedMediaTypeError = kind(415, 'unsupported_media_type', 'UnsupportedMediaTypeError');
export const UnprocessableError = kind(422, 'unprocessable', 'UnprocessableError');
export const LockedError = kind(423, 'locked', 'LockedError');
export const TooManyRequestsError = kind(429, 'too_many_requests', 'TooManyRequestsError');
