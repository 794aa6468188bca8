/**
 * Flags for a gateway built inside the test process. It shares its event loop with the test's
 * clients, servers and synchronous work (a rotate-keys run, a fixture written): its load shedding
 * would measure the test, not the gateway, and shed on a busy machine. Off, unless the test sets
 * a threshold of its own (the load-shedding tests do).
 */
export function inProcessFlags(settings: readonly string[]): string[] {
  return settings.includes('--max-event-loop-delay-ms') ? [] : ['--max-event-loop-delay-ms', '0'];
}
