/**
 * Waiting for another process's lock without blocking the event loop. better-sqlite3 is
 * synchronous, so SQLite's own wait (busy_timeout) would stall every request and timer in the
 * gateway, one waiting call after another. The connection therefore never waits (busy_timeout
 * 0): a call that finds the file locked fails at once with SQLITE_BUSY (or SQLITE_LOCKED), and
 * is tried again here after a short asynchronous pause, until its time is up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';

/** The longest pause between tries: how much later than the lock's release a waiting call runs. */
const MAX_PAUSE_MS = 20;
/**
 * The last try starts this long before the caller's deadline (outage.ts answers 503 then), so a
 * write does not land after its caller was told the database was unavailable.
 */
const DEADLINE_MARGIN_MS = 10;

function isLocked(err: unknown): boolean {
  return err instanceof Database.SqliteError && /^SQLITE_(BUSY|LOCKED)/.test(err.code);
}

/**
 * Runs `attempt` until it does not fail for a lock, for at most `timeoutMs`, then rethrows the
 * lock's error. Each attempt must be atomic (one statement, or one better-sqlite3 transaction,
 * which rolls back when it throws), so a failed one leaves nothing behind to repeat.
 */
export async function whenUnlocked<T>(attempt: () => T, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs - DEADLINE_MARGIN_MS;
  for (let pause = 1; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      return attempt();
    } catch (err) {
      // jittered, so calls that found the lock together do not all try again together
      const wait = pause * (0.5 + Math.random() / 2);
      if (!isLocked(err) || performance.now() + wait >= deadline) throw err;
      await sleep(wait);
      if (performance.now() >= deadline) throw err;
    }
  }
}
