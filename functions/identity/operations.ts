import { isPgError, SqlState, transaction, type Sql, type Tx } from '../core/db';
import {
  AppError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  UnprocessableError,
} from '../core/errors';
import type { Operations } from '../core/operation';
import { decodeCursor, page } from '../core/pagination';
import { dummyVerify, hashPassword, needsRehash, passwordProblems, verifyPassword } from '../core/passwords';
import { accessTokenSeconds, signAccessToken, type Caller } from '../core/tokens';
import { enqueueMail } from './outbox';
import * as q from './queries';
import { issueToken, tokenHash, tokenLifetime } from './tokens';

/** One answer for register, resend and reset requests, whether or not the address has an account. */
const accepted = (message: string) => ({ status: 'accepted' as const, message });

const invalidCredentials = () =>
  new UnauthorizedError('Email or password is wrong', { code: 'invalid_credentials' });
const invalidToken = () =>
  new BadRequestError('This link is invalid, already used or expired; ask for a new one', {
    code: 'invalid_token',
  });

/** Outside a signed-in request the identity service acts as `eatsential_auth`. */
const asIdentityService = <T>(sql: Sql, fn: (tx: Tx) => Promise<T>) =>
  transaction(sql, { role: 'eatsential_auth' }, fn);

/**
 * Inside a signed-in request: steps the request's transaction into `eatsential_auth` for work the
 * caller's own role may not do (read and set password hashes, record password history), then
 * back. With `app.current_user_id` set, the identity role's policies still confine it to the
 * caller's own rows. A second transaction is not an option (one connection per container).
 */
async function withinAsIdentityService<T>(tx: Tx, fn: () => Promise<T>): Promise<T> {
  const [previous] = await tx<{ role: string }[]>`select current_setting('role') as role`;
  await tx`select set_config('role', 'eatsential_auth', true)`;
  try {
    return await fn();
  } finally {
    // After a database error the transaction is aborted and rolls back whole, role included; the
    // restore can only fail then, and must not hide the error that caused it.
    await tx`select set_config('role', ${previous?.role ?? 'eatsential_write'}, true)`.catch(() => undefined);
  }
}

/**
 * Runs `fn` and throws the AppError it returned only after the commit: a failed login must still
 * record its failure, a reused refresh token must still revoke its session.
 */
async function committed<T>(work: Promise<T | AppError>): Promise<T> {
  const outcome = await work;
  if (outcome instanceof AppError) throw outcome;
  return outcome;
}

function refusePolicy(problems: string[], field: string): void {
  if (problems.length > 0) {
    throw new UnprocessableError('The password does not meet the password policy', {
      code: 'weak_password',
      errors: problems.map((message) => ({ path: `body.${field}`, message })),
    });
  }
}

/** How many passwords back a new one must differ from, the current one included. */
const passwordMemory = 5;

/**
 * Refuses the current password and the last 5 of the history (which records every password set,
 * so its newest entry is normally the current one). When the caller just proved the current
 * password, it is compared as text and its own hash is not verified again: each scrypt costs.
 */
async function refuseReused(
  tx: Tx,
  user: { id: string; password_hash: string },
  password: string,
  currentPassword?: string,
): Promise<void> {
  const reused = () =>
    new UnprocessableError(`Choose a password other than your last ${passwordMemory}`, {
      code: 'password_reused',
    });
  if (
    currentPassword !== undefined
      ? password === currentPassword
      : await verifyPassword(password, user.password_hash)
  ) {
    throw reused();
  }
  for (const hash of await q.recentPasswordHashes(tx, user.id, passwordMemory)) {
    if (hash !== user.password_hash && (await verifyPassword(password, hash))) throw reused();
  }
}

/**
 * Sets a new password after the caller proved who they are (a reset token or the current
 * password): policy and last-5 checks, new hash and history, every other session revoked, a
 * security event and a confirmation email.
 */
async function replacePassword(
  tx: Tx,
  user: q.AccountRow,
  change: {
    readonly password: string;
    readonly currentPassword?: string;
    readonly reason: 'password_reset' | 'password_changed';
    readonly keepSessionId?: string;
    readonly ip: string | null;
  },
): Promise<void> {
  refusePolicy(passwordProblems(change.password, user), 'new_password');
  await refuseReused(tx, user, change.password, change.currentPassword);
  const passwordHash = await hashPassword(change.password);
  await q.setPassword(tx, user.id, passwordHash);
  await q.recordPasswordHistory(tx, user.id, passwordHash);
  const revoked = await q.revokeSessionsOf(tx, user.id, change.reason, change.keepSessionId);
  await q.audit(tx, {
    userId: user.id,
    event: change.reason === 'password_reset' ? 'password_reset' : 'password_changed',
    ip: change.ip,
    detail: { sessions_revoked: revoked },
  });
  await enqueueMail(tx, { userId: user.id, kind: 'password_changed', to: user.email });
}

/** An access token and a refresh token for a session. */
async function tokenPair(caller: Caller, refreshToken: string) {
  return {
    token_type: 'Bearer' as const,
    access_token: await signAccessToken(caller),
    expires_in: accessTokenSeconds,
    refresh_token: refreshToken,
    session_id: caller.sessionId,
  };
}

const iso = (d: Date) => d.toISOString();

/** Every row of a deleted account is erased within this many hours (README, Data lifecycle). */
export const deletionPromiseHours = 24;

const meBody = (row: q.MeRow) => ({
  id: row.id,
  username: row.username,
  email: row.email,
  is_email_verified: row.is_email_verified,
  role: row.role,
  time_zone: row.time_zone,
  created_at: iso(row.created_at),
  updated_at: iso(row.updated_at),
});

/** At most one verification or reset email per account per minute; further requests are dropped silently. */
const resendIntervalSeconds = 60;

/** The owner of an address is told at most this often that someone tried to register with it. */
const registrationAttemptInterval = '1 hour';

const tokenLifetimes = {
  email_verify: tokenLifetime.emailVerify,
  password_reset: tokenLifetime.passwordReset,
} as const;

/**
 * Issues a fresh single-use token, retiring the user's older unused ones of its type, and queues
 * the email that carries it (auth.mail_outbox, sent by the mail-outbox job once this commits).
 * With `throttle`, at most one such email a minute per account (extra asks are dropped).
 *
 * An unknown address (`user` undefined) and a throttled account run the very same statements on
 * no account: they write nothing but the audit row, and answer in the time a sent email takes,
 * so the answer time does not tell whether the address has an account.
 */
async function emailToken(
  tx: Tx,
  user: { readonly id: string } | undefined,
  email: string,
  type: keyof typeof tokenLifetimes,
  audit: { readonly event: q.AuditEvent; readonly ip: string | null },
  throttle: boolean,
): Promise<void> {
  let to: string | null = user?.id ?? null;
  if (throttle) {
    const since = await q.secondsSinceLastToken(tx, to, type);
    if (since !== null && since < resendIntervalSeconds) to = null;
  }
  await q.retireUnusedTokens(tx, to, type);
  const { token, hash } = issueToken();
  await q.insertVerificationToken(tx, { userId: to, type, hash, lifetime: tokenLifetimes[type] });
  await q.audit(tx, {
    userId: user?.id ?? null,
    event: audit.event,
    ip: audit.ip,
    detail: { emailed: to !== null },
  });
  await enqueueMail(tx, { userId: to, kind: type, to: email, token });
}

export const operations: Operations<'identity'> = {
  async register({ sql, body, request }) {
    refusePolicy(passwordProblems(body.password, body), 'password');
    // Hashed before anything is looked up: a taken email answers in the same time as a new one.
    const passwordHash = await hashPassword(body.password);
    await committed(
      asIdentityService(sql, async (tx) => {
        // Username first: checking the email first would let a taken username probe for emails.
        if (await q.isUsernameTaken(tx, body.username)) {
          return new ConflictError('This username is taken', { code: 'username_taken' });
        }
        const user = await q.insertUser(tx, {
          username: body.username,
          email: body.email,
          passwordHash,
          timeZone: body.time_zone ?? 'UTC',
        });
        if (!user) {
          if (await q.isUsernameTaken(tx, body.username)) {
            return new ConflictError('This username is taken', { code: 'username_taken' });
          }
          const existing = await q.accountByEmail(tx, body.email);
          // Told once an hour at most: repeating the request must not flood someone's mailbox.
          const emailed =
            existing !== undefined &&
            (await q.claimRegistrationAttemptEmail(tx, existing.id, registrationAttemptInterval));
          await q.audit(tx, {
            userId: existing?.id ?? null,
            event: 'registration_existing_email',
            ip: request.ip,
            detail: { emailed },
          });
          await enqueueMail(tx, {
            userId: emailed ? (existing?.id ?? null) : null,
            kind: 'registration_attempt',
            to: body.email,
          });
          return undefined;
        }
        await q.recordPasswordHistory(tx, user.id, passwordHash);
        await emailToken(
          tx,
          user,
          body.email,
          'email_verify',
          { event: 'user_registered', ip: request.ip },
          false,
        );
        return undefined;
      }),
    );
    return accepted('Check your inbox: a verification email is on its way.');
  },

  async verifyEmail({ sql, body, request }) {
    await asIdentityService(sql, async (tx) => {
      const spent = await q.consumeToken(tx, tokenHash(body.token), 'email_verify');
      if (!spent) throw invalidToken();
      if (!(await q.markEmailVerified(tx, spent.userId))) throw invalidToken();
      await q.retireUnusedTokens(tx, spent.userId, 'email_verify');
      await q.audit(tx, { userId: spent.userId, event: 'email_verified', ip: request.ip });
    });
    return undefined;
  },

  async resendVerification({ sql, body, request }) {
    await asIdentityService(sql, async (tx) => {
      const user = await q.accountByEmail(tx, body.email);
      const waiting = user && !user.is_email_verified && user.is_active ? user : undefined;
      await emailToken(
        tx,
        waiting,
        body.email,
        'email_verify',
        { event: 'verification_resent', ip: request.ip },
        true,
      );
    });
    return accepted('If this address has an account waiting for verification, a new email is on its way.');
  },

  /**
   * Unknown email, wrong password, deleted or deactivated account, and a locked account all answer
   * the same 401 in about the same time. While an account is locked its password is not checked at
   * all (a dummy hash is, for the timing): an attacker learns nothing from guesses made during the
   * lock, and neither a right nor a wrong guess changes it. Only a right password earns the more
   * specific 403 `email_not_verified`.
   */
  async login({ sql, body, request }) {
    const refresh = issueToken();
    const caller = await committed(
      asIdentityService(sql, async (tx): Promise<Caller | AppError> => {
        const user = await q.accountByEmail(tx, body.email);
        if (!user) {
          await dummyVerify();
          return invalidCredentials();
        }
        if (user.locked_for !== null) {
          await dummyVerify();
          await q.audit(tx, { userId: user.id, event: 'login_refused_locked', ip: request.ip });
          return invalidCredentials();
        }
        const passwordIsRight = await verifyPassword(body.password, user.password_hash);
        if (!user.is_active) return invalidCredentials();
        if (!passwordIsRight) {
          const { failures, locked } = await q.recordFailedLogin(tx, user.id);
          await q.audit(tx, { userId: user.id, event: 'login_failed', ip: request.ip, detail: { failures } });
          if (locked) {
            await q.audit(tx, {
              userId: user.id,
              event: 'account_locked',
              ip: request.ip,
              detail: { minutes: q.lockout.minutes },
            });
          }
          return invalidCredentials();
        }
        if (!user.is_email_verified) {
          await q.clearFailedLogins(tx, user.id);
          await q.audit(tx, { userId: user.id, event: 'login_refused_unverified', ip: request.ip });
          return new ForbiddenError('Confirm your email address first; we can send the email again', {
            code: 'email_not_verified',
          });
        }
        if (needsRehash(user.password_hash)) {
          await q.replacePasswordHash(tx, user.id, await hashPassword(body.password));
          await q.audit(tx, { userId: user.id, event: 'password_rehashed', ip: request.ip });
        }
        await q.recordSuccessfulLogin(tx, user.id);
        const session = await q.createSession(tx, {
          userId: user.id,
          refreshHash: refresh.hash,
          deviceName: body.device_name ?? null,
          userAgent: request.userAgent,
          ip: request.ip,
        });
        await q.audit(tx, {
          userId: user.id,
          event: 'login_succeeded',
          ip: request.ip,
          detail: { session_id: session.id },
        });
        return { userId: user.id, role: user.role, sessionId: session.id };
      }),
    );
    return tokenPair(caller, refresh.token);
  },

  async refresh({ sql, body, request }) {
    const presented = tokenHash(body.refresh_token);
    const next = issueToken();
    const caller = await committed(
      asIdentityService(sql, async (tx): Promise<Caller | AppError> => {
        const rotated = await q.rotateRefreshToken(tx, presented, next.hash);
        if (rotated) return { userId: rotated.userId, role: rotated.role, sessionId: rotated.sessionId };
        const stolen = await q.sessionOfRotatedToken(tx, presented);
        if (!stolen)
          return new UnauthorizedError('This refresh token is not valid; sign in again', {
            code: 'invalid_token',
          });
        // A rotated token comes back only if two parties hold it: end the session for both.
        await q.revokeSession(tx, stolen.userId, stolen.sessionId, 'token_reuse');
        await q.audit(tx, {
          userId: stolen.userId,
          event: 'refresh_token_reused',
          ip: request.ip,
          detail: { session_id: stolen.sessionId },
        });
        return new UnauthorizedError(
          'This refresh token was already used; the session is ended, sign in again',
          {
            code: 'refresh_token_reused',
          },
        );
      }),
    );
    return tokenPair(caller, next.token);
  },

  async logout({ tx, caller, request }) {
    await q.revokeSession(tx, caller.userId, caller.sessionId, 'logout');
    await q.audit(tx, {
      userId: caller.userId,
      event: 'logout',
      ip: request.ip,
      detail: { session_id: caller.sessionId },
    });
    return undefined;
  },

  async requestPasswordReset({ sql, body, request }) {
    await asIdentityService(sql, async (tx) => {
      const user = await q.accountByEmail(tx, body.email);
      await emailToken(
        tx,
        user?.is_active ? user : undefined,
        body.email,
        'password_reset',
        { event: 'password_reset_requested', ip: request.ip },
        true,
      );
    });
    return accepted('If this address has an account, an email with a reset link is on its way.');
  },

  async confirmPasswordReset({ sql, body, request }) {
    await asIdentityService(sql, async (tx) => {
      // Any refusal below throws, so the transaction rolls back and the token stays usable.
      const spent = await q.consumeToken(tx, tokenHash(body.token), 'password_reset');
      if (!spent) throw invalidToken();
      const user = await q.accountById(tx, spent.userId);
      if (!user || !user.is_active) throw invalidToken();
      // The reset link reached the mailbox: that proves the address as well as a verification link would.
      await q.markEmailVerified(tx, user.id);
      await q.retireUnusedTokens(tx, user.id, 'password_reset');
      await replacePassword(tx, user, {
        password: body.new_password,
        reason: 'password_reset',
        ip: request.ip,
      });
    });
    return undefined;
  },

  async changePassword({ tx, caller, body, request }) {
    await withinAsIdentityService(tx, async () => {
      const user = await q.accountById(tx, caller.userId);
      if (!user) throw new NotFoundError('This account no longer exists', { code: 'account_not_found' });
      // The same lockout as login: a stolen access token must not buy unlimited password guesses.
      if (user.locked_for !== null) {
        throw new ForbiddenError('Too many wrong passwords; try again later', {
          code: 'account_locked',
          headers: { 'retry-after': String(user.locked_for) },
        });
      }
      if (!(await verifyPassword(body.current_password, user.password_hash))) {
        const { locked } = await q.recordFailedLogin(tx, user.id);
        if (locked)
          await q.audit(tx, {
            userId: user.id,
            event: 'account_locked',
            ip: request.ip,
            detail: { minutes: q.lockout.minutes },
          });
        throw new ForbiddenError('The current password is wrong', {
          code: 'invalid_current_password',
          commit: true,
        });
      }
      await replacePassword(tx, user, {
        password: body.new_password,
        currentPassword: body.current_password,
        reason: 'password_changed',
        keepSessionId: caller.sessionId,
        ip: request.ip,
      });
    });
    return undefined;
  },

  async getMe({ tx, caller }) {
    const row = await q.me(tx, caller.userId);
    if (!row) throw new NotFoundError('This account no longer exists', { code: 'account_not_found' });
    return meBody(row);
  },

  async updateMe({ tx, caller, body, request }) {
    // Row-level security hides other accounts from this transaction; the unique index sees them all.
    const row = await q
      .updateMe(tx, caller.userId, { username: body.username, timeZone: body.time_zone })
      .catch((e: unknown) => {
        if (isPgError(e) && e.code === SqlState.uniqueViolation && e.constraint_name === q.usernameIndex) {
          throw new ConflictError('This username is taken', { code: 'username_taken', cause: e });
        }
        throw e;
      });
    if (!row) throw new NotFoundError('This account no longer exists', { code: 'account_not_found' });
    await q.audit(tx, {
      userId: caller.userId,
      event: 'account_updated',
      ip: request.ip,
      detail: { username: body.username !== undefined, time_zone: body.time_zone !== undefined },
    });
    return meBody(row);
  },

  async deleteMe({ tx, caller, request }) {
    if (!(await q.softDeleteUser(tx, caller.userId))) {
      throw new NotFoundError('This account no longer exists', { code: 'account_not_found' });
    }
    await q.audit(tx, { userId: caller.userId, event: 'account_deleted', ip: request.ip });
    // purge-deleted-accounts runs hourly; the promise (and its metric) is 24 hours.
    const deletedAt = new Date();
    return {
      status: 'deleting' as const,
      deleted_at: deletedAt.toISOString(),
      deletion_complete_by: new Date(deletedAt.getTime() + deletionPromiseHours * 3_600_000).toISOString(),
    };
  },

  async listSessions({ tx, caller, query }) {
    const rows = await q.liveSessions(tx, caller.userId, decodeCursor(query.cursor), query.limit);
    return page(
      rows,
      query.limit,
      (r) => ({ at: r.at, id: r.id }),
      (r) => ({
        id: r.id,
        device_name: r.device_name,
        user_agent: r.user_agent,
        ip_address: r.ip_address,
        created_at: iso(r.created_at),
        last_used_at: iso(r.last_used_at),
        expires_at: iso(r.expires_at),
        current: r.id === caller.sessionId,
      }),
    );
  },

  async revokeSession({ tx, caller, params, request }) {
    if (!(await q.revokeSession(tx, caller.userId, params.sessionId, 'user_revoked'))) {
      throw new NotFoundError('No such session of yours', { code: 'session_not_found' });
    }
    await q.audit(tx, {
      userId: caller.userId,
      event: 'session_revoked',
      ip: request.ip,
      detail: { session_id: params.sessionId },
    });
    return undefined;
  },

  async listUsers({ tx, query }) {
    const after = decodeCursor(query.cursor);
    // Row-level security shows an administrator every account (auth.current_user_is_admin()).
    const rows = await q.usersPage(tx, after, query.limit);
    return page(
      rows,
      query.limit,
      (r) => ({ at: r.at, id: r.id }),
      (r) => ({
        id: r.id,
        username: r.username,
        role: r.role,
        is_email_verified: r.is_email_verified,
        is_active: r.is_active,
        created_at: iso(r.created_at),
      }),
    );
  },
};
