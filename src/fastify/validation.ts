/**
 * Input validation as Taskcluster's services do it: request bodies checked strictly against
 * their JSON schema (a field the schema does not name is an error, never silently dropped as
 * Fastify's default ajv would), query strings and params coerced from text first.
 */
import { Ajv } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { parseDateTime } from '../core/date-time.js';

function makeAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({ allErrors: true, coerceTypes, useDefaults: true, removeAdditional: false, strict: true });
  ajv.addFormat('date-time', { type: 'string', validate: (value: string) => parseDateTime(value) !== undefined });
  return ajv;
}

export function strictValidatorCompiler(): FastifySchemaCompiler<any> {
  // each made on its first schema: every routes table has a compiler, most tables no schema of
  // one kind or either, and an Ajv costs milliseconds of a sidecar's start (bench/results/startup-steps.md)
  let bodies: Ajv | undefined;
  let text: Ajv | undefined;
  return ({ schema, httpPart }) => (httpPart === 'body' ? (bodies ??= makeAjv(false)) : (text ??= makeAjv(true))).compile(schema as object);
}
