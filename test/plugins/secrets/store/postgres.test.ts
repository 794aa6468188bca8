import t from 'tap';
import { postgresBackend, requirePostgres } from './postgres-backend.js';
import { storeSuite } from './suite.js';

await requirePostgres();
storeSuite(t, postgresBackend);
