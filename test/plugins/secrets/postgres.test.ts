import t from 'tap';
import { postgresBackend, requirePostgres } from './store/postgres-backend.js';
import { secretsSuite } from './suite.js';

// fails the file loudly when the PostgreSQL it needs is not there
await requirePostgres();
secretsSuite(t, postgresBackend);
