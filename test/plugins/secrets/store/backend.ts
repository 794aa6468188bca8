/**
 * What the shared store suite needs from a database: a fresh, empty database per test, the
 * URL and options to open stores on it (also from child processes), raw SQL to tamper with
 * rows, and everything stored, as text, to look for plaintext.
 */
import type { Test } from 'tap';
import type { OpenOptions } from '../../../../src/plugins/secrets/store/index.js';

export interface FreshDatabase {
  url: string;
  options: OpenOptions;
  /** A table's name as it appears in SQL. */
  table(name: string): string;
  /** Runs one statement (literals inline: placeholders differ between databases). */
  sql(statement: string): Promise<void>;
  /** All stored bytes (files, or every row as text and every bytea as bytes), latin1-decoded. */
  storedText(): Promise<string>;
}

export interface StoreBackend {
  name: string;
  /** A new empty database, dropped when `t` ends. */
  fresh(t: Test): Promise<FreshDatabase>;
}
