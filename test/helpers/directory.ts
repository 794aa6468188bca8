// A client directory for tests: permanent clients with their scopes, roles expanded by RoleSet.
import { RoleSet, type ClientDirectory, type ClientRecord, type Role } from '../../src/core/index.js';

export function directoryOf(clients: Omit<ClientRecord, 'scopes'> & { scopes: string[] } | Array<Omit<ClientRecord, 'scopes'> & { scopes: string[] }>, roles: Role[] = []): ClientDirectory {
  const list = Array.isArray(clients) ? clients : [clients];
  const roleSet = new RoleSet(roles);
  const byId = new Map(list.map((c) => [c.clientId, { ...c, scopes: roleSet.expand(c.scopes) }]));
  return { client: (id) => byId.get(id), expand: (scopes) => roleSet.expand(scopes) };
}
