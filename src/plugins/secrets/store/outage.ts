/**
 * A database that fails or stops answering is an outage to report, not a bug: every row
 * operation answers within the deadline, and a failure of the database itself (as its driver
 * tells them apart) becomes 503 ServiceUnavailable, which callers may retry. Anything else (a
 * constraint, a bug) stays what it was.
 */
import { withinDeadline } from '../../../core/deadline.js';
import { GatewayError } from '../../../core/errors.js';
import type { GatewayEvents } from '../../../core/events.js';
import type { RowStore } from './rows.js';

/** Said to callers; the cause (which may name a host or a file) goes only to the log. */
export function databaseUnavailable(cause: unknown): GatewayError {
  return new GatewayError('ServiceUnavailable', 'The secrets database is unavailable; try again later', undefined, { cause });
}

export interface OutagePolicy {
  /** How long one row operation may take before its caller is answered 503. */
  timeoutMs: number;
  /** True for errors that mean the database is unreachable, stalled or broken. */
  isOutage(err: unknown): boolean;
  /** Where outages and timeouts are counted, and whether the database answered its last operation reported. */
  events?: GatewayEvents;
}

export function reportingOutages(rows: RowStore, policy: OutagePolicy): RowStore {
  const { events } = policy;
  /** What the deadline threw, to count apart from the database's own failures. */
  const deadlines = new WeakSet<Error>();
  const timedOut = () => {
    const err = databaseUnavailable(new Error(`no answer within ${policy.timeoutMs} ms`));
    deadlines.add(err);
    return err;
  };
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      const result = await withinDeadline(work(), policy.timeoutMs, timedOut);
      events?.reportDatabase('secrets', true);
      return result;
    } catch (err) {
      let unavailable: GatewayError | undefined;
      if (err instanceof GatewayError) unavailable = err.code === 'ServiceUnavailable' ? err : undefined;
      else if (policy.isOutage(err)) unavailable = databaseUnavailable(err);
      // an error of the statement (a constraint, say) is still an answer
      events?.reportDatabase('secrets', unavailable === undefined);
      if (unavailable) events?.count('database-error', 'secrets', deadlines.has(unavailable) ? 'timeout' : 'outage');
      throw unavailable ?? err;
    }
  };
  const guarded = Object.entries(rows).map(([name, method]) => {
    const call = method as (...args: unknown[]) => Promise<unknown>;
    // closing waits for what is in flight: a deadline there would only hide the clean-up; the
    // change feed is no database call (it bounds its own connection's calls)
    return [name, name === 'close' || name === 'changeFeed' ? call : (...args: unknown[]) => guard(() => call(...args))];
  });
  return Object.fromEntries(guarded) as unknown as RowStore;
}
