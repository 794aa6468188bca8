/**
 * Scope satisfaction and expressions come from taskcluster-lib-scopes, the library Taskcluster
 * itself uses, so our answers match the auth service's to the letter.
 */
import scopes from 'taskcluster-lib-scopes';

export type ScopeExpression = string | { AnyOf: ScopeExpression[] } | { AllOf: ScopeExpression[] };

export const validScope: (scope: string) => boolean = scopes.validScope;
/** The library throws on some malformed expressions instead of answering false. */
export function validExpression(expr: unknown): boolean {
  try {
    return scopes.validExpression(expr);
  } catch {
    return false;
  }
}
export const satisfiesExpression: (held: string[], expr: ScopeExpression) => boolean = scopes.satisfiesExpression;
export const normalizeScopeSet: (held: string[]) => string[] = scopes.normalizeScopeSet;
export const removeGivenScopes: (held: string[], expr: ScopeExpression) => ScopeExpression | null = scopes.removeGivenScopes;

/** Every element is a valid scope string. */
export function validScopeList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((s) => typeof s === 'string' && validScope(s));
}
