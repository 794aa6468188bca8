/**
 * The credentials a URL may carry in its userinfo (`https://user:password@host`), wherever the
 * URL sits in a text: a logged request path embedding one, a configuration value naming a
 * service. One pattern for the logs and the printed configuration, so neither shows what the
 * other hides.
 */
const USERINFO = /(\/\/)[^/?#@]*@/g;

/** The text with every embedded URL's userinfo replaced by `censor`. */
export function withoutUserinfo(text: string, censor: string): string {
  return text.replace(USERINFO, `$1${censor}@`);
}
