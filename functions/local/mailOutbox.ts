import type { Sql } from '../core/db';
import { logger } from '../core/log';

/**
 * The mail-outbox job inside the local server: what EventBridge does every minute in AWS, done
 * right after every identity request that may have queued an email, and every few seconds for
 * retries. Runs are serial (one at a time, at most one more queued), so `flush` can wait for
 * everything queued so far to be sent.
 */
export function localMailOutbox(sql: () => Promise<Sql>, everyMs = 5000) {
  let chain: Promise<void> = Promise.resolve();
  let queued = false;
  let stopped = false;
  const kick = (): Promise<void> => {
    if (queued || stopped) return chain;
    queued = true;
    chain = chain.then(async () => {
      queued = false;
      try {
        const { sendDue } = await import('../jobs/mailOutbox/handler');
        await sendDue({ sql: await sql() });
      } catch (e) {
        logger.warn('the local mail outbox could not be drained', { error: (e as Error).message });
      }
    });
    return chain;
  };
  const timer = setInterval(() => void kick(), everyMs);
  timer.unref();
  return {
    /** A drain soon (after the one running, if any). */
    kick: () => void kick(),
    /** Resolves once every email queued before the call has been handled. */
    flush: kick,
    /** No drain after this one; resolves once the running one (if any) is over. */
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await chain;
    },
  };
}
