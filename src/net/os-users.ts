/**
 * OS user names to uids, as `--allowed-user` names them. Read from the passwd file rather than
 * through NSS because Node has no getpwnam; worker hosts keep their task users in /etc/passwd.
 */
import { ConfigError } from '../config/settings.js';

/** The uid of `user` in passwd-format text, or undefined when no line names it. */
export function uidInPasswd(passwd: string, user: string): number | undefined {
  for (const line of passwd.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name === user && uid !== undefined && /^\d+$/.test(uid)) return Number(uid);
  }
  return undefined;
}

/**
 * A user name or a numeric uid → the uid; an unknown name is a configuration error.
 * `readFile` answers undefined for a missing file.
 */
export function resolveUid(user: string, passwdPath: string, readFile: (path: string) => string | undefined): number {
  if (/^\d+$/.test(user)) return Number(user);
  const passwd = readFile(passwdPath);
  if (passwd === undefined) throw new ConfigError(`setting allowedUser (--allowed-user / GATEWAY_ALLOWED_USER): cannot look up ${JSON.stringify(user)}, ${passwdPath} does not exist`);
  const uid = uidInPasswd(passwd, user);
  if (uid === undefined) throw new ConfigError(`setting allowedUser (--allowed-user / GATEWAY_ALLOWED_USER): no user ${JSON.stringify(user)} in ${passwdPath}`);
  return uid;
}
