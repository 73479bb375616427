import { env } from '../core/config';
import type { MailMessage } from '../core/mail';

/**
 * The identity emails. Each link is a page of the app (`APP_BASE_URL`), not of the API: the app
 * reads the token from it and POSTs it to `/auth/verify-email` or `/auth/password-reset/confirm`.
 * The token also stands alone on its own line so it can be copied into an API call (the README's
 * curl walk-through does).
 */
const signature = '\n-- \nEatsential\n';

export function verificationEmail(to: string, token: string): MailMessage {
  return {
    to,
    subject: 'Confirm your email address',
    text: [
      'Welcome to Eatsential.',
      '',
      'Confirm your email address by opening this link (it works once, for 24 hours):',
      `${env.appBaseUrl}/verify-email?token=${token}`,
      '',
      'Or enter this code in the app:',
      token,
      '',
      'If you did not create an account, ignore this email.',
      signature,
    ].join('\n'),
  };
}

export function passwordResetEmail(to: string, token: string): MailMessage {
  return {
    to,
    subject: 'Reset your password',
    text: [
      'Someone, hopefully you, asked to reset the password of your Eatsential account.',
      '',
      'Choose a new password by opening this link (it works once, for 1 hour):',
      `${env.appBaseUrl}/reset-password?token=${token}`,
      '',
      'Or enter this code in the app:',
      token,
      '',
      'If you did not ask for this, ignore this email: your password stays as it is.',
      signature,
    ].join('\n'),
  };
}

/** Sent instead of a verification email when someone registers with an address that has an account. */
export function registrationAttemptEmail(to: string): MailMessage {
  return {
    to,
    subject: 'Someone tried to register with your email address',
    text: [
      'Someone tried to create an Eatsential account with this email address, which already has one.',
      '',
      'If it was you, sign in instead. If you forgot your password, reset it here:',
      `${env.appBaseUrl}/reset-password`,
      '',
      'If it was not you, ignore this email: nothing has changed on your account.',
      signature,
    ].join('\n'),
  };
}

export function passwordChangedEmail(to: string): MailMessage {
  return {
    to,
    subject: 'Your password was changed',
    text: [
      'The password of your Eatsential account was just changed, and your other sessions were signed out.',
      '',
      'If this was not you, reset your password at once:',
      `${env.appBaseUrl}/reset-password`,
      signature,
    ].join('\n'),
  };
}
