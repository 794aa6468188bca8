// The secrets plugin's behaviour on one storage backend; sqlite.test.ts and postgres.test.ts run it.
import type { Test } from 'tap';
import type { StoreBackend } from './store/backend.js';
import { apiTests } from './suite-api.js';
import { authTests } from './suite-auth.js';
import { inputTests } from './suite-input.js';

export function secretsSuite(t: Test, backend: StoreBackend): void {
  apiTests(t, backend);
  authTests(t, backend);
  inputTests(t, backend);
}
