/**
 * Reading a `PUT /credentials` body: JSON `{clientId, accessToken, certificate}` sent with any
 * Content-Type or none (generic-worker sends none, docker-worker text/json). Parsed as it is read,
 * by the one bounded JSON parse, so that an error body never echoes the access token
 * (cleanPayload masks the parsed fields) and nothing walks an unbounded tree.
 */
import { GatewayError, isGatewayError } from '../../core/errors.js';
import { parseJsonBody } from '../../core/json-body.js';

const EXPECTED = 'expected JSON {clientId, accessToken, certificate}';

export function parseCredentialsBody(text: string): unknown {
  if (text.trim() === '') throw new GatewayError('InputError', `empty body: ${EXPECTED}`);
  try {
    return parseJsonBody(text);
  } catch (err) {
    // this route has always said InputError, naming what it expects
    if (isGatewayError(err) && err.code === 'MalformedPayload') throw new GatewayError('InputError', `body is not valid JSON: ${EXPECTED}`);
    throw err;
  }
}
