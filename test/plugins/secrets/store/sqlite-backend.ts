import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { StoreBackend } from './backend.js';

export const sqliteBackend: StoreBackend = {
  name: 'sqlite',
  async fresh(t) {
    const file = join(t.testdir(), 'data', 'secrets.db');
    return {
      url: `sqlite:${file}`,
      options: {},
      table: (name) => name,
      async sql(statement) {
        const db = new Database(file);
        try {
          db.pragma('busy_timeout = 5000');
          db.exec(statement);
        } finally {
          db.close();
        }
      },
      // The database file and its write-ahead log: recent writes live in the log.
      async storedText() {
        return [file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f).toString('latin1')).join('\n');
      },
    };
  },
};
