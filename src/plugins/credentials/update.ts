/**
 * Reading a `PUT /credentials` body: JSON `{clientId, accessToken, certificate}` sent with any
 * Content-Type or none (generic-worker sends none, docker-worker text/json). Parsed as it is read
 * so that an error body never echoes the access token (cleanPayload masks the parsed fields).
 */
import { GatewayError } from '../../core/errors.js';

export function parseCredentialsBody(text: string): unknown {
  if (text.trim() === '') throw new GatewayError('InputError', 'empty body: expected JSON {clientId, accessToken, certificate}');
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError('InputError', 'body is not valid JSON: expected {clientId, accessToken, certificate}');
  }
}
