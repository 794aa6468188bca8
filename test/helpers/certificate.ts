/** A certificate of the right shape (its signature is not checked when settings load), for settings tests. */
export const WELL_FORMED_CERTIFICATE = JSON.stringify({ version: 1, scopes: ['a:b'], start: 0, expiry: 1, seed: 's'.repeat(44), signature: 'sig-secret' });
