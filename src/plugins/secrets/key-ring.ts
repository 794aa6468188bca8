/**
 * A running gateway's key ring follows its keys file without a restart. A change to the file,
 * watched through its directory (so a file replaced by rename, or a Kubernetes secret's symlink
 * swap, counts too) and debounced, or an explicit reload (SIGHUP, which src/cli/ turns into
 * `reload()`), loads the file into the store. A file that does not load, or a ring the store
 * refuses (it lacks a key rows still use, or gives a key id other bytes than a live gateway's
 * ring does), keeps the old ring and logs one error line: the
 * messages name the file and key ids, never key material. A heartbeat republishes the ring, so
 * other gateways and rotate-keys see this gateway live and learn which keys it holds.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { keyRingFromText, readKeyFile, type KeyedSecretStore, type KeyRing } from './store/index.js';

/** Editors and deploy tools write a file in several steps; one load after they settle. */
const DEBOUNCE_MS = 100;

export interface KeyRingFollower {
  /** Load the keys file now (SIGHUP); never rejects: a failure is logged and the old ring kept. */
  reload(): Promise<void>;
  stop(): void;
}

export interface FollowOptions {
  /** The keys file; undefined when there is none to follow (then only the heartbeat runs). */
  file: string | undefined;
  heartbeatSec: number;
  log: Logger;
}

export function followKeyRing(store: KeyedSecretStore, options: FollowOptions): KeyRingFollower {
  const { file, log } = options;
  /** The text last loaded or found unparseable; a watch event with the same text is no change. */
  let settled: string | undefined;
  let queue = Promise.resolve();

  const load = async (onlyIfChanged: boolean) => {
    if (!file) return;
    const previous = store.keyIds;
    try {
      const text = readKeyFile(file);
      if (onlyIfChanged && text === settled) return;
      let ring: KeyRing;
      try {
        ring = keyRingFromText(text, file);
      } catch (err) {
        // Unparseable text stays so until it changes. A refused ring (or an unreachable
        // database) may load later with the same text, so only a load settles that.
        settled = text;
        throw err;
      }
      await store.useKeys(ring);
      settled = text;
      log.info({ keyIds: store.keyIds, previousKeyIds: previous }, 'secrets: key ring reloaded');
    } catch (err) {
      log.error({ keyIds: previous }, `secrets: key ring not reloaded, keeping the old one: ${(err as Error).message}`);
    }
  };
  const enqueue = (onlyIfChanged: boolean) => (queue = queue.then(() => load(onlyIfChanged)));

  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  if (file) {
    watcher = watch(dirname(file), (_event, name) => {
      if (name !== null && name !== basename(file) && !name.startsWith('..')) return;
      clearTimeout(debounce);
      debounce = setTimeout(() => void enqueue(true), DEBOUNCE_MS);
    });
    watcher.on('error', (err) => log.error({ err }, 'secrets: cannot watch the keys file any more; reload with SIGHUP'));
    watcher.unref();
  }

  let failing = false;
  const heartbeat = setInterval(() => {
    store.publishRing().then(() => {
      if (failing) log.info('secrets: key ring published again');
      failing = false;
    }, (err: unknown) => {
      if (!failing) log.error({ err }, 'secrets: cannot publish the key ring; other gateways and rotate-keys will consider this gateway gone once it expires');
      failing = true;
    });
  }, options.heartbeatSec * 1000);
  heartbeat.unref();

  return {
    reload: () => enqueue(false),
    stop() {
      clearInterval(heartbeat);
      clearTimeout(debounce);
      watcher?.close();
    },
  };
}
