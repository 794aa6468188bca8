/**
 * Role expansion as Taskcluster's auth service does it: holding `assume:<roleId>` grants the
 * role's scopes, repeatedly, to a fixed point. A roleId ending in `*` is parameterized: the part
 * of the assumed name matched by `*` replaces `<..>` in its scopes.
 */
import { normalizeScopeSet } from './scopes.js';

export interface Role {
  roleId: string;
  scopes: string[];
}

const PARAM = '<..>';
/** Expansion bounds: parameterized roles can in principle grow without end; we never hang. */
const MAX_ROUNDS = 100;
const MAX_SCOPES = 50_000;

/**
 * The parameter with which `held` assumes `role`, or undefined when it does not.
 * '' for an exact (unparameterized) match.
 */
export function assumedParameter(held: string, roleId: string): string | undefined {
  const roleScope = `assume:${roleId}`;
  const heldStar = held.endsWith('*');
  const heldPrefix = heldStar ? held.slice(0, -1) : held;
  if (!roleId.endsWith('*')) {
    if (heldStar) return roleScope.startsWith(heldPrefix) ? '' : undefined;
    return held === roleScope ? '' : undefined;
  }
  const rolePrefix = roleScope.slice(0, -1);
  if (held.startsWith(rolePrefix)) return held.slice(rolePrefix.length);
  // `assume:ab*` held reaches role `abc*` with any parameter at all
  if (heldStar && rolePrefix.startsWith(heldPrefix)) return '*';
  return undefined;
}

/** A role scope with its parameter substituted; a parameter with `*` ends the scope there. */
export function substituteParameter(scope: string, parameter: string): string {
  const at = scope.indexOf(PARAM);
  if (at < 0) return scope;
  if (parameter.includes('*')) return scope.slice(0, at) + parameter.slice(0, parameter.indexOf('*') + 1);
  return scope.slice(0, at) + parameter + scope.slice(at + PARAM.length);
}

/** `assume:...`, or a star scope such as `*` or `assu*` that covers every assume: scope. */
function canAssume(scope: string): boolean {
  return scope.startsWith('assume:') || (scope.endsWith('*') && 'assume:'.startsWith(scope.slice(0, -1)));
}

export class RoleSet {
  private readonly roles: Role[];

  /** Throws when the roles reference each other in a cycle, naming it. */
  constructor(roles: Role[]) {
    this.roles = roles.map((r) => ({ roleId: r.roleId, scopes: [...r.scopes] }));
    const cycle = this.findCycle();
    if (cycle) throw new Error(`role cycle: ${cycle.join(' -> ')}`);
  }

  expand(scopes: string[]): string[] {
    const held = new Set(scopes);
    let frontier = [...held];
    for (let round = 0; round < MAX_ROUNDS && frontier.length > 0; round++) {
      const next: string[] = [];
      for (const scope of frontier) {
        if (!canAssume(scope)) continue;
        for (const role of this.roles) {
          const parameter = assumedParameter(scope, role.roleId);
          if (parameter === undefined) continue;
          for (const granted of role.scopes) {
            const s = substituteParameter(granted, parameter);
            if (!held.has(s) && held.size < MAX_SCOPES) {
              held.add(s);
              next.push(s);
            }
          }
        }
      }
      frontier = next;
    }
    return normalizeScopeSet([...held]);
  }

  /** A cycle among roles through their concrete `assume:` scopes, or undefined. */
  private findCycle(): string[] | undefined {
    const edges = new Map<string, string[]>();
    for (const role of this.roles) {
      const targets = new Set<string>();
      for (const scope of role.scopes) {
        if (scope.includes(PARAM)) continue;
        for (const other of this.roles) {
          if (assumedParameter(scope, other.roleId) !== undefined) targets.add(other.roleId);
        }
      }
      edges.set(role.roleId, [...targets]);
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const path: string[] = [];
    const visit = (id: string): string[] | undefined => {
      if (state.get(id) === 'done') return undefined;
      if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
      state.set(id, 'visiting');
      path.push(id);
      for (const target of edges.get(id) ?? []) {
        const cycle = visit(target);
        if (cycle) return cycle;
      }
      path.pop();
      state.set(id, 'done');
      return undefined;
    };
    for (const role of this.roles) {
      const cycle = visit(role.roleId);
      if (cycle) return cycle;
    }
    return undefined;
  }
}
