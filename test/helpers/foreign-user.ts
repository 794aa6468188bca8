/**
 * tap hands every child process its loaders through NODE_OPTIONS, and they live in this
 * checkout, which a child running as another user (nobody) may not be able to read. Such a
 * child starts through `env -u NODE_OPTIONS`, as it would outside the tests.
 */
export function withoutTapLoaders(command: string, args: string[]): [string, string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', command, ...args]];
}
