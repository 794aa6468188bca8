/**
 * The one JSON parse of a request body, bounded before anything is built: nesting deeper than
 * MAX_JSON_DEPTH or more than MAX_JSON_VALUES containers and elements is refused from one pass
 * over the text, so no tree the bound would refuse is ever made, copied or walked (error bodies,
 * log redaction, schema validation and the stores all walk what this returns).
 *
 * Why a scan of our own: JSON.parse has no limits, and secure-json-parse (Fastify's) only
 * filters the tree after JSON.parse has built it. The byte size is bounded earlier, by each
 * context's bodyLimit.
 */
import { GatewayError } from './errors.js';

/** Far deeper than any secret or credentials body; shallow enough for every recursive consumer. */
export const MAX_JSON_DEPTH = 100;
/**
 * Containers plus separators: ~50 bytes each once parsed, so a refused body never costs more
 * than a few MB of heap however its bytes are arranged.
 */
export const MAX_JSON_VALUES = 100_000;

const OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d, OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d, COMMA = 0x2c, QUOTE = 0x22, BACKSLASH = 0x5c;

/** Why `text` exceeds the bounds, or undefined. Syntax is JSON.parse's business, not this scan's. */
export function jsonBoundsProblem(text: string): string | undefined {
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > MAX_JSON_DEPTH) return `JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`;
      if (++values > MAX_JSON_VALUES) return `JSON body holds more than ${MAX_JSON_VALUES} values`;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    else if (c === COMMA && ++values > MAX_JSON_VALUES) return `JSON body holds more than ${MAX_JSON_VALUES} values`;
  }
  return undefined;
}

/** The parsed body; InputError past the bounds, MalformedPayload when it is not JSON (never echoing it). */
export function parseJsonBody(text: string): unknown {
  const problem = jsonBoundsProblem(text);
  if (problem) throw new GatewayError('InputError', problem);
  try {
    return JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text: it may hold the secret being stored
    throw new GatewayError('MalformedPayload', 'Failed to parse JSON payload');
  }
}
