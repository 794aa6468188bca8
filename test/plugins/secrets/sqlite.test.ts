import t from 'tap';
import { sqliteBackend } from './store/sqlite-backend.js';
import { secretsSuite } from './suite.js';

secretsSuite(t, sqliteBackend);
