import * as z from 'zod';
import { pageOf, pageQuery } from '../core/pagination';

/** The design doc's username rule (users.chk_username_format). */
export const username = z
  .string()
  .max(20)
  .regex(/^[a-zA-Z0-9_]{3,20}$/, '3 to 20 letters, digits or underscores');

/** The design doc's email rule (users.chk_email_format), length-bounded by the column. */
export const email = z
  .string()
  .trim()
  .max(254)
  .regex(/^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/, 'not a valid email address')
  .transform((s) => s.toLowerCase());

/**
 * NIST SP 800-63B: length over composition rules. 12 to 128 characters; the upper bound keeps
 * hashing cost bounded. Common and account-derived passwords are refused by the identity service.
 */
export const password = z.string().min(12, 'at least 12 characters').max(128, 'at most 128 characters');

export const timeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'not an IANA time zone');

const opaqueToken = z.string().min(20).max(200);

export const registerBody = z
  .strictObject({ username, email, password, time_zone: timeZone.optional() })
  .meta({ id: 'RegisterBody' });
export const acceptedResponse = z
  .strictObject({ status: z.literal('accepted'), message: z.string() })
  .meta({ id: 'Accepted' });
export const verifyEmailBody = z.strictObject({ token: opaqueToken }).meta({ id: 'VerifyEmailBody' });
export const emailOnlyBody = z.strictObject({ email }).meta({ id: 'EmailBody' });
export const loginBody = z
  .strictObject({
    email,
    password: z.string().min(1).max(128),
    device_name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^\P{Cc}*$/u, 'no control characters')
      .optional(),
  })
  .meta({ id: 'LoginBody' });
export const refreshBody = z.strictObject({ refresh_token: opaqueToken }).meta({ id: 'RefreshBody' });
export const tokenResponse = z
  .strictObject({
    token_type: z.literal('Bearer'),
    access_token: z.string(),
    expires_in: z.number().int(),
    refresh_token: z.string(),
    session_id: z.uuid(),
  })
  .meta({ id: 'TokenPair' });
export const resetConfirmBody = z
  .strictObject({ token: opaqueToken, new_password: password })
  .meta({ id: 'PasswordResetConfirmBody' });
export const changePasswordBody = z
  .strictObject({
    current_password: z.string().min(1).max(128),
    new_password: password,
  })
  .meta({ id: 'ChangePasswordBody' });

export const me = z
  .strictObject({
    id: z.uuid(),
    username: z.string(),
    email: z.string(),
    is_email_verified: z.boolean(),
    role: z.enum(['user', 'admin']),
    time_zone: z.string(),
    created_at: z.iso.datetime({ offset: true }),
    updated_at: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'Me' });
export const patchMeBody = z
  .strictObject({ username: username.optional(), time_zone: timeZone.optional() })
  .refine((b) => b.username !== undefined || b.time_zone !== undefined, 'nothing to change')
  .meta({ id: 'UpdateMeBody' });

export const session = z
  .strictObject({
    id: z.uuid(),
    device_name: z.string().nullable(),
    user_agent: z.string().nullable(),
    ip_address: z.string().nullable(),
    created_at: z.iso.datetime({ offset: true }),
    last_used_at: z.iso.datetime({ offset: true }),
    expires_at: z.iso.datetime({ offset: true }),
    current: z.boolean(),
  })
  .meta({ id: 'Session' });
export const sessionParams = z.strictObject({ sessionId: z.uuid() });
export const sessionsQuery = pageQuery;
export const sessionsPage = pageOf(session).meta({ id: 'SessionPage' });

export const adminUser = z
  .strictObject({
    id: z.uuid(),
    username: z.string(),
    role: z.enum(['user', 'admin']),
    is_email_verified: z.boolean(),
    is_active: z.boolean(),
    created_at: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'AdminUser' });
export const adminUsersPage = pageOf(adminUser).meta({ id: 'AdminUserPage' });

export const deletionAccepted = z
  .strictObject({
    status: z.literal('deleting'),
    deleted_at: z.iso.datetime({ offset: true }),
    /** Every row of the account is erased by then (the purge runs hourly; the promise is 24 hours). */
    deletion_complete_by: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'DeletionAccepted' });
