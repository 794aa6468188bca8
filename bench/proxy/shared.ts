// What the benchmark's processes agree on.
import type { Credentials } from '../../src/core/credentials.js';

/** Permanent credentials every signing path uses; the upstream does not verify them. */
export const BENCH_CREDENTIALS: Credentials = { clientId: 'bench/gateway', accessToken: 'benchmark-access-token-0123456789abcdefghij' };

/** A root-URL-format API path, so the gateway forwards it as it would a queue call. */
export const SMALL_PATH = '/api/queue/v1/task/fN1SbArXTPSVFNUvaOlinQ/status';
export const DOWNLOAD_PATH = '/api/object/v1/download';
export const UPLOAD_PATH = '/api/object/v1/upload';

/** Headers that describe one connection, never forwarded (RFC 9110 §7.6.1). */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);
