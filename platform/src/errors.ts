import { GraphQLError } from 'graphql';

/**
 * The error codes every Trellis service answers with. Clients switch on `extensions.code`;
 * the message is for a person and says what to change.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const httpStatus: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INTERNAL_SERVER_ERROR: 500,
};

export function appError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra, http: { status: httpStatus[code] } } });
}

/** Invalid input; `field` names the input path the caller has to fix. */
export const badInput = (message: string, field?: string) =>
  appError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const unauthenticated = (message: string) => appError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message: string) => appError(ErrorCode.FORBIDDEN, message);
export const conflict = (message: string) => appError(ErrorCode.CONFLICT, message);
/**
 * Not found is also what a caller gets for rows of another tenant or outside its scope:
 * row-level security hides them, so "forbidden" would leak that they exist.
 */
export const notFound = (type: string, id: string) =>
  appError(ErrorCode.NOT_FOUND, `${type} ${id} was not found (or is outside what you may see).`, { type, id });

interface PgError { code?: string; detail?: string; constraint?: string; message?: string; hint?: string }

/**
 * Maps errors escaping resolvers to typed GraphQL errors in one place. Database constraint
 * violations become CONFLICT/BAD_USER_INPUT; anything unexpected becomes an opaque internal
 * error (the original goes to the log, never to the client).
 */
export function toClientError(err: unknown): { error: GraphQLError; unexpected: boolean } {
  if (err instanceof GraphQLError && typeof err.extensions?.code === 'string' && err.extensions.code !== 'INTERNAL_SERVER_ERROR') {
    return { error: err, unexpected: false };
  }
  const pg = findPgError(err);
  if (pg?.code) {
    switch (pg.code) {
      case '23505':
        return { error: conflict(`Already exists: ${pg.detail ?? pg.constraint ?? 'a unique value is taken'}.`), unexpected: false };
      case '23503':
        return { error: badInput(`Refers to something that does not exist: ${pg.detail ?? pg.constraint}.`), unexpected: false };
      case '23514':
      case '22P02':
      case '22007':
      case '22008':
        return { error: badInput(`Invalid value: ${pg.message}.`), unexpected: false };
      case '40001':
      case '55P03':
        return { error: conflict('Another change to the same record happened at the same time; retry.'), unexpected: false };
      case 'P0001':
        // RAISE EXCEPTION in our own SQL: the message is written for people.
        return { error: badInput(pg.message ?? 'Rejected by a database rule.'), unexpected: false };
      case '42501':
        // Insufficient privilege / new row violates row-level security: the row is outside the caller's reach.
        return { error: appError(ErrorCode.FORBIDDEN, 'You may not write this record: it is outside your tenant or scope.'), unexpected: false };
    }
  }
  return { error: appError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal error; it has been logged.'), unexpected: true };
}

function findPgError(err: unknown): PgError | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const e = cur as PgError & { cause?: unknown; originalError?: unknown };
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e;
    cur = e.originalError ?? e.cause;
  }
  return undefined;
}
