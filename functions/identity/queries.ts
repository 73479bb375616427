import type { Tx } from '../core/db';
import type { Keyset } from '../core/pagination';
import { tokenLifetime } from './tokens';

/**
 * All SQL of the identity domain. Public routes run these as `eatsential_auth` (the identity
 * service, which finds an account by email and reads its password hash through SECURITY DEFINER
 * functions, one account at a time, and holds column grants for the rest); signed-in routes as
 * `eatsential_write`, where row-level security confines every statement to the caller's own rows
 * and column grants keep password hashes and token hashes out of reach.
 */

export type Role = 'user' | 'admin';
export type TokenType = 'email_verify' | 'password_reset' | 'email_change';
export type RevokedReason =
  'logout' | 'user_revoked' | 'password_changed' | 'password_reset' | 'token_reuse' | 'account_deleted';

/** The security events written to audit.audit_logs. */
export type AuditEvent =
  | 'user_registered'
  | 'registration_existing_email'
  | 'email_verified'
  | 'verification_resent'
  | 'login_succeeded'
  | 'login_failed'
  | 'login_refused_locked'
  | 'login_refused_unverified'
  | 'account_locked'
  | 'password_rehashed'
  | 'refresh_token_reused'
  | 'logout'
  | 'session_revoked'
  | 'password_reset_requested'
  | 'password_reset'
  | 'password_changed'
  | 'account_updated'
  | 'account_deleted';

/**
 * Audit detail holds counts, ids and reasons: never an email address, password, token or hash.
 * Stamped with the clock, not the transaction start, so events of one request keep their order.
 */
export async function audit(
  tx: Tx,
  entry: {
    userId: string | null;
    event: AuditEvent;
    ip: string | null;
    detail?: Record<string, string | number | boolean | null>;
  },
): Promise<void> {
  await tx`
    insert into audit.audit_logs (user_id, event, detail, ip, occurred_at)
    values (${entry.userId}, ${entry.event}, ${tx.json(entry.detail ?? {})}, ${entry.ip}::inet, clock_timestamp())`;
}

// ---- accounts ---------------------------------------------------------------------------------

/** Usernames are unique case-insensitively among live accounts (idx_users_username). */
export const usernameIndex = 'idx_users_username';

export async function isUsernameTaken(tx: Tx, username: string): Promise<boolean> {
  const [row] = await tx`
    select 1 from public.users where lower(username) = lower(${username}) and deleted_at is null`;
  return row !== undefined;
}

/** Inserts an account; undefined when the username or email was taken meanwhile (a concurrent registration). */
export async function insertUser(
  tx: Tx,
  user: { username: string; email: string; passwordHash: string; timeZone: string },
): Promise<{ id: string } | undefined> {
  const [row] = await tx<{ id: string }[]>`
    insert into public.users (username, email, password_hash, time_zone, password_changed_at)
    values (${user.username}, ${user.email}, ${user.passwordHash}, ${user.timeZone}, now())
    on conflict do nothing
    returning id`;
  return row;
}

/** What login, resend and reset requests read of an account (auth.credentials_for_login). */
export interface LoginRow {
  id: string;
  password_hash: string;
  is_email_verified: boolean;
  is_active: boolean;
  role: Role;
  /** Seconds until the lock ends; null when not locked. */
  locked_for: number | null;
}

/** An account a password is being set for, with what the password policy compares against. */
export interface AccountRow extends LoginRow {
  username: string;
  email: string;
}

/**
 * The live (not deleted) account with this email, locked for the rest of the transaction so that
 * concurrent logins count failures one at a time. The identity role reads no email and no
 * password hash itself: this SECURITY DEFINER function answers one account it is given the address of.
 */
export async function accountByEmail(tx: Tx, email: string): Promise<LoginRow | undefined> {
  const [row] = await tx<LoginRow[]>`select * from auth.credentials_for_login(${email})`;
  return row;
}

/**
 * The live account a password is being set for, locked for the transaction: answered only to the
 * user's own signed-in request, or to a transaction that has just spent their reset token.
 */
export async function accountById(tx: Tx, userId: string): Promise<AccountRow | undefined> {
  const [row] = await tx<AccountRow[]>`select * from auth.credentials_for_password_change(${userId})`;
  return row;
}

export const lockout = { failures: 5, minutes: 15 } as const;

/**
 * Counts one more failed login; the fifth in a row locks the account and starts a new count, so a
 * failure after the lock ends does not lock it again at once.
 */
export async function recordFailedLogin(
  tx: Tx,
  userId: string,
): Promise<{ failures: number; locked: boolean }> {
  const [row] = await tx<{ failures: number; locked: boolean }[]>`
    update public.users set
      failed_login_count = case when failed_login_count + 1 >= ${lockout.failures} then 0 else failed_login_count + 1 end,
      locked_until = case when failed_login_count + 1 >= ${lockout.failures}
                          then now() + make_interval(mins => ${lockout.minutes}) else locked_until end
    where id = ${userId}
    returning coalesce(locked_until > now(), false) as locked,
              case when failed_login_count = 0 then ${lockout.failures} else failed_login_count end as failures`;
  return row ?? { failures: 0, locked: false };
}

/** A right password ends the run of failures, whether or not a session follows. */
export async function clearFailedLogins(tx: Tx, userId: string): Promise<void> {
  await tx`update public.users set failed_login_count = 0, locked_until = null where id = ${userId}`;
}

export async function recordSuccessfulLogin(tx: Tx, userId: string): Promise<void> {
  await tx`
    update public.users set failed_login_count = 0, locked_until = null, last_login_at = now()
    where id = ${userId}`;
}

/** The same password hashed with today's parameters: not a password change. */
export async function replacePasswordHash(tx: Tx, userId: string, passwordHash: string): Promise<void> {
  await tx`update public.users set password_hash = ${passwordHash} where id = ${userId}`;
}

/** A new password: also clears a lock, since whoever sets it proved control of the account. */
export async function setPassword(tx: Tx, userId: string, passwordHash: string): Promise<void> {
  await tx`
    update public.users
    set password_hash = ${passwordHash}, password_changed_at = now(), failed_login_count = 0, locked_until = null
    where id = ${userId}`;
}

/** False when the account is gone (deleted since the token was sent). */
export async function markEmailVerified(tx: Tx, userId: string): Promise<boolean> {
  const rows = await tx`
    update public.users set is_email_verified = true
    where id = ${userId} and deleted_at is null
    returning id`;
  return rows.length > 0;
}

export async function recordPasswordHistory(tx: Tx, userId: string, passwordHash: string): Promise<void> {
  await tx`insert into auth.password_history (user_id, password_hash) values (${userId}, ${passwordHash})`;
}

/** The hashes of the user's most recent passwords, newest first. */
export async function recentPasswordHashes(tx: Tx, userId: string, count: number): Promise<string[]> {
  const rows = await tx<{ password_hash: string }[]>`
    select password_hash from auth.password_history
    where user_id = ${userId}
    order by created_at desc, id desc
    limit ${count}`;
  return rows.map((r) => r.password_hash);
}

// ---- the signed-in user's own account (row-level security applies) -----------------------------

export interface MeRow {
  id: string;
  username: string;
  email: string;
  is_email_verified: boolean;
  role: Role;
  time_zone: string;
  created_at: Date;
  updated_at: Date;
}

export async function me(tx: Tx, userId: string): Promise<MeRow | undefined> {
  const [row] = await tx<MeRow[]>`
    select id, username, email, is_email_verified, role, time_zone, created_at, updated_at
    from public.users where id = ${userId} and deleted_at is null`;
  return row;
}

export async function updateMe(
  tx: Tx,
  userId: string,
  changes: { username?: string | undefined; timeZone?: string | undefined },
): Promise<MeRow | undefined> {
  const [row] = await tx<MeRow[]>`
    update public.users set
      username = coalesce(${changes.username ?? null}, username),
      time_zone = coalesce(${changes.timeZone ?? null}, time_zone)
    where id = ${userId} and deleted_at is null
    returning id, username, email, is_email_verified, role, time_zone, created_at, updated_at`;
  return row;
}

/** Soft delete: frees the email and username and revokes every session (soft_delete_user). */
export async function softDeleteUser(tx: Tx, userId: string): Promise<boolean> {
  const [row] = await tx<{ deleted: boolean }[]>`select public.soft_delete_user(${userId}) as deleted`;
  return row?.deleted === true;
}

// ---- verification and reset tokens --------------------------------------------------------------

/** Writes nothing when `userId` is null: an unknown address runs the same statement (see emailToken). */
export async function insertVerificationToken(
  tx: Tx,
  token: { userId: string | null; type: TokenType; hash: Buffer; lifetime: string },
): Promise<void> {
  await tx`
    insert into auth.verification_tokens (user_id, token_hash, token_type, expires_at)
    select ${token.userId}::uuid, ${token.hash}, ${token.type}, now() + ${token.lifetime}::interval
    where ${token.userId}::uuid is not null`;
}

/** Older unused tokens of this kind stop working once a new one is sent. */
export async function retireUnusedTokens(tx: Tx, userId: string | null, type: TokenType): Promise<void> {
  await tx`
    update auth.verification_tokens set used_at = now()
    where user_id = ${userId}::uuid and token_type = ${type} and used_at is null`;
}

/** Seconds since the newest token of this kind was issued; null when there is none. */
export async function secondsSinceLastToken(
  tx: Tx,
  userId: string | null,
  type: TokenType,
): Promise<number | null> {
  const [row] = await tx<{ seconds: number | null }[]>`
    select extract(epoch from now() - max(created_at))::float8 as seconds
    from auth.verification_tokens where user_id = ${userId}::uuid and token_type = ${type}`;
  return row?.seconds ?? null;
}

/** Spends a token: only an unused, unexpired token of the right kind, and only once (even under concurrency). */
export async function consumeToken(
  tx: Tx,
  hash: Buffer,
  type: TokenType,
): Promise<{ userId: string } | undefined> {
  const [row] = await tx<{ user_id: string }[]>`
    update auth.verification_tokens set used_at = now()
    where token_hash = ${hash} and token_type = ${type} and used_at is null and expires_at > now()
    returning user_id`;
  return row && { userId: row.user_id };
}

/**
 * Claims the right to email the owner of `userId` that someone tried to register with their
 * address: true at most once per `interval`, also under concurrent registrations (the upsert
 * takes the row's lock).
 */
export async function claimRegistrationAttemptEmail(
  tx: Tx,
  userId: string,
  interval: string,
): Promise<boolean> {
  const rows = await tx`
    insert into auth.registration_attempt_emails as r (user_id) values (${userId})
    on conflict (user_id) do update set sent_at = now()
      where r.sent_at <= now() - ${interval}::interval
    returning user_id`;
  return rows.length > 0;
}

// ---- sessions -----------------------------------------------------------------------------------

export async function createSession(
  tx: Tx,
  session: {
    userId: string;
    refreshHash: Buffer;
    deviceName: string | null;
    userAgent: string | null;
    ip: string | null;
  },
): Promise<{ id: string }> {
  const [row] = await tx<{ id: string }[]>`
    insert into auth.user_sessions (user_id, refresh_token_hash, device_name, user_agent, ip_address, expires_at)
    values (${session.userId}, ${session.refreshHash}, ${session.deviceName}, ${session.userAgent?.slice(0, 512) ?? null},
            ${session.ip}::inet, now() + ${tokenLifetime.sessionIdle}::interval)
    returning id`;
  return row as { id: string };
}

/**
 * Refresh-token rotation in one statement: the live session holding `oldHash` takes `newHash`, and
 * `oldHash` is kept as rotated so that presenting it again is recognised as theft. Two concurrent
 * refreshes with one token: exactly one wins, the other finds the token rotated. The session slides
 * 30 days from now, but never past 90 days after the login.
 */
export async function rotateRefreshToken(
  tx: Tx,
  oldHash: Buffer,
  newHash: Buffer,
): Promise<{ sessionId: string; userId: string; role: Role } | undefined> {
  const [row] = await tx<{ id: string; user_id: string; role: Role }[]>`
    with rotated as (
      update auth.user_sessions s set
        refresh_token_hash = ${newHash},
        last_used_at = now(),
        expires_at = least(now() + ${tokenLifetime.sessionIdle}::interval, s.created_at + ${tokenLifetime.sessionAbsolute}::interval)
      from public.users u
      where s.refresh_token_hash = ${oldHash} and s.revoked_at is null and s.expires_at > now()
        and u.id = s.user_id and u.deleted_at is null and u.is_active
      returning s.id, s.user_id, u.role
    ), kept as (
      insert into auth.rotated_refresh_tokens (token_hash, session_id)
      select ${oldHash}, id from rotated
    )
    select id, user_id, role from rotated`;
  return row && { sessionId: row.id, userId: row.user_id, role: row.role };
}

export async function sessionOfRotatedToken(
  tx: Tx,
  hash: Buffer,
): Promise<{ sessionId: string; userId: string } | undefined> {
  const [row] = await tx<{ session_id: string; user_id: string }[]>`
    select r.session_id, s.user_id
    from auth.rotated_refresh_tokens r join auth.user_sessions s on s.id = r.session_id
    where r.token_hash = ${hash}`;
  return row && { sessionId: row.session_id, userId: row.user_id };
}

/** Revokes one session of this user; false when it is not theirs or already ended. */
export async function revokeSession(
  tx: Tx,
  userId: string,
  sessionId: string,
  reason: RevokedReason,
): Promise<boolean> {
  const rows = await tx`
    update auth.user_sessions set revoked_at = now(), revoked_reason = ${reason}
    where id = ${sessionId} and user_id = ${userId} and revoked_at is null
    returning id`;
  return rows.length > 0;
}

/** Revokes every live session of the user, except `keep` when given; answers how many. */
export async function revokeSessionsOf(
  tx: Tx,
  userId: string,
  reason: RevokedReason,
  keep: string | null = null,
): Promise<number> {
  const rows = await tx`
    update auth.user_sessions set revoked_at = now(), revoked_reason = ${reason}
    where user_id = ${userId} and revoked_at is null and id is distinct from ${keep}::uuid
    returning id`;
  return rows.length;
}

export interface SessionRow {
  id: string;
  device_name: string | null;
  user_agent: string | null;
  ip_address: string | null;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  /** created_at at full (microsecond) precision for the cursor: a JavaScript Date drops microseconds and would repeat rows. */
  at: string;
}

/** The user's live sessions, newest first, `limit + 1` rows from after the cursor. */
export async function liveSessions(
  tx: Tx,
  userId: string,
  after: Keyset | null,
  limit: number,
): Promise<SessionRow[]> {
  return tx<SessionRow[]>`
    select id, device_name, user_agent, host(ip_address) as ip_address, created_at, last_used_at, expires_at,
           to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at
    from auth.user_sessions
    where user_id = ${userId} and revoked_at is null and expires_at > now()
      ${after ? tx`and (created_at, id) < (${after.at}::timestamptz, ${after.id}::uuid)` : tx``}
    order by created_at desc, id desc
    limit ${limit + 1}`;
}

// ---- administration (run as the identity service: row-level security shows a user only their own account) ----

export interface AdminUserRow {
  id: string;
  username: string;
  role: Role;
  is_email_verified: boolean;
  is_active: boolean;
  created_at: Date;
  at: string;
}

/** Accounts newest first, without their email addresses (an administrator's list does not need them). */
export async function usersPage(tx: Tx, after: Keyset | null, limit: number): Promise<AdminUserRow[]> {
  return tx<AdminUserRow[]>`
    select id, username, role, is_email_verified, is_active, created_at, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at
    from public.users
    where deleted_at is null
      ${after ? tx`and (created_at, id) < (${after.at}::timestamptz, ${after.id}::uuid)` : tx``}
    order by created_at desc, id desc
    limit ${limit + 1}`;
}
