/**
 * Links to records in Pipedrive's web app, so an admin can open the record a finding is about.
 * Pipedrive's app URLs are `https://<company>.pipedrive.com/organization/<id>` (also `/person/`, `/deal/`).
 */
import type { EntityKind } from '../domain/entities.js';

/**
 * The app origin for a company: `acme` → `https://acme.pipedrive.com`. A full origin
 * (`http://127.0.0.1:8787`, e.g. the sandbox) is kept as given, without a trailing slash.
 */
export function appOrigin(companyDomain: string): string {
  const trimmed = companyDomain.trim();
  if (/^https?:\/\//i.test(trimmed)) return new URL(trimmed).origin;
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(trimmed)) {
    throw new Error(`invalid company domain "${companyDomain}": expected the subdomain ("acme" for https://acme.pipedrive.com) or an origin like http://127.0.0.1:8787`);
  }
  return `https://${trimmed.toLowerCase()}.pipedrive.com`;
}

const PATHS: Partial<Record<EntityKind, string>> = { organization: 'organization', person: 'person', deal: 'deal' };

/** The record's page, or null for entities without one of their own (activities open inside their client). */
export function recordUrl(origin: string, entity: EntityKind, id: number): string | null {
  const path = PATHS[entity];
  return path ? `${origin}/${path}/${id}` : null;
}
