import t from 'tap';
import { sqliteBackend } from './sqlite-backend.js';
import { storeSuite } from './suite.js';

storeSuite(t, sqliteBackend);
