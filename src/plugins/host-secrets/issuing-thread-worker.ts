/**
 * The issuing thread's own code (see issuing-thread.ts): proves a host by forward-confirmed DNS and signs its
 * credentials, one message per request, answered with the same id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseAddress } from '../../net/addresses.js';
import { ForwardConfirmedDns } from './forward-confirmed-dns.js';
import { issueHostCredentials } from './host-credentials.js';
import { READY, type IssuerReply, type IssuerRequest, type IssuerSettings, type PolicyUpdate } from './issuing-thread.js';

const settings = workerData as IssuerSettings;
/** The policy in force: a request is issued under the one in force when it arrived. */
let policy = settings.policy;
const dns = new ForwardConfirmedDns(settings.dns);
const port = parentPort!;

async function answer({ id, ip }: IssuerRequest): Promise<IssuerReply> {
  const issuing = policy;
  try {
    const address = parseAddress(ip);
    if (!address) return { id, error: `${JSON.stringify(ip)} is not an IP address` };
    const verdict = await dns.verify(address);
    if ('refusal' in verdict) return { id, outcome: verdict };
    return { id, outcome: { hostname: verdict.hostname, issued: issueHostCredentials(verdict.hostname, issuing) } };
  } catch (err) {
    return { id, error: (err as Error).message };
  }
}

port.on('message', (message: IssuerRequest | PolicyUpdate) => {
  if ('policy' in message) policy = message.policy;
  else void answer(message).then((reply) => port.postMessage(reply));
});
port.postMessage(READY);
