/**
 * Policy user references (`owners.fallbackUser`, `owners.escalationUser`) name a user by e-mail — stable
 * when a firm copies its policy between accounts — or by Pipedrive user id.
 */
import type { UserRef } from '../config/policy-schema.js';
import type { User } from '../domain/entities.js';

/**
 * The user a policy reference names, or null when no user of the company matches. E-mails compare
 * case-insensitively. Deactivated users are returned too: the caller decides whether one may receive work.
 */
export function resolveUserRef(ref: UserRef, users: ReadonlyMap<number, User>): User | null {
  if (typeof ref === 'number') return users.get(ref) ?? null;
  const wanted = ref.trim().toLowerCase();
  for (const user of users.values()) {
    if (user.email.trim().toLowerCase() === wanted) return user;
  }
  return null;
}
