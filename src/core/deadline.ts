/**
 * A bounded wait: what a caller is answered when something it depends on stops answering. Only
 * the wait is cut short; the work goes on, and its own timeouts must reclaim what it holds.
 */
export async function withinDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    // race() subscribes to `work`, so its failure after the deadline is not an unhandled rejection
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
