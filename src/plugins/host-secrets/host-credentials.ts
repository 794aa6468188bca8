/**
 * The credentials a proven host receives: named temporary credentials whose name and only scope
 * are the configured bases followed by the host name with its labels reversed
 * (a.test.example.com → com.example.test.a), as the original host-secrets made them, so that
 * roles and client prefixes can grant by domain (`...:com.example.*`).
 */
import { fromNow } from 'taskcluster-client';
import { createTemporaryCredentials, MAX_TEMPORARY_LIFETIME_MS, type Credentials } from '../../core/credentials.js';
import { ConfigError } from '../../config/settings.js';

export interface HostCredentialPolicy {
  scopeBase: string;
  clientIdBase: string;
  lifetimeMs: number;
  /** The gateway's permanent credentials, which sign the certificate. */
  issuer: Credentials;
}

export interface IssuedHostCredentials {
  clientId: string;
  accessToken: string;
  /** The certificate as a JSON string, as workers expect it. */
  certificate: string;
  expires: Date;
}

export function reversedHostname(hostname: string): string {
  return hostname.split('.').reverse().join('.');
}

/**
 * A Taskcluster relative time (`1 day`, `12 hours`) as milliseconds, checked once at start:
 * positive and at most the 31 days the auth service accepts.
 */
export function lifetimeMs(expression: string, settingName: string): number {
  const reference = new Date(0);
  let ms: number;
  try {
    ms = fromNow(expression, reference).getTime() - reference.getTime();
  } catch {
    throw new ConfigError(`setting ${settingName}: ${JSON.stringify(expression)} is not a Taskcluster relative time like "1 day" or "12 hours"`);
  }
  if (!(ms > 0)) throw new ConfigError(`setting ${settingName}: ${JSON.stringify(expression)} must be a positive duration`);
  if (ms > MAX_TEMPORARY_LIFETIME_MS) throw new ConfigError(`setting ${settingName}: ${JSON.stringify(expression)} is longer than the 31 days temporary credentials may last`);
  return ms;
}

export function issueHostCredentials(hostname: string, policy: HostCredentialPolicy, now = new Date()): IssuedHostCredentials {
  const name = reversedHostname(hostname);
  const expires = new Date(now.getTime() + policy.lifetimeMs);
  const made = createTemporaryCredentials({
    clientId: policy.clientIdBase + name,
    start: now,
    expiry: expires,
    scopes: [policy.scopeBase + name],
    credentials: policy.issuer,
  });
  return { ...made, expires };
}
