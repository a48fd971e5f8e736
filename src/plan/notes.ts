/**
 * The HTML notes of the activities the worker creates: the facts behind the activity, the policy's
 * checklist, and the provenance block (rule, reason, run id, deterministic key + the `cadence-key:` marker
 * the sync reads back). Every interpolated value is escaped; the templates come from the policy file.
 */
import type { Policy, Templates } from '../config/policy-schema.js';
import { provenanceMarker } from '../domain/provenance.js';
import { createDescriber } from '../i18n/describe.js';
import type { OrgAssessment } from '../rules/types.js';
import { escapeHtml, fillTemplate } from '../i18n/texts.js';

export interface Provenance {
  /** Rule id, or `renewal` / `escalation`. */
  rule: string;
  reason: string;
  runId: string;
  key: string;
}

const p = (text: string): string => `<p>${escapeHtml(text)}</p>`;

export function engagementLine(policy: Policy, t: Templates, org: OrgAssessment): string {
  return fillTemplate(
    t.noteEngagement,
    { count: org.engagement.last4, trend: t.trend[org.engagement.trend], breadth: org.engagement.breadth },
    { locale: policy.locale },
  );
}

/** The client's open risks in the policy's words (`texts.<locale>.risks`), joined into one line. */
export function risksLine(policy: Policy, t: Templates, org: OrgAssessment): string {
  if (org.risks.length === 0) return t.noteNoRisks;
  const describer = createDescriber(policy);
  return fillTemplate(t.noteRisks, { risks: org.risks.map((r) => describer.risk(r)).join('; ') });
}

export function provenanceBlock(t: Templates, prov: Provenance): string {
  const line = fillTemplate(t.noteProvenance, { rule: prov.rule, runId: prov.runId, key: prov.key });
  // The marker stays on its own line so it survives an admin editing the text around it.
  return `<p><small>${escapeHtml(line)}<br>${escapeHtml(prov.reason)}<br>${escapeHtml(provenanceMarker(prov.key))}</small></p>`;
}

export function followUpNote(policy: Policy, org: OrgAssessment, factLine: string, prov: Provenance): string {
  const t = policy.texts[policy.locale];
  return [
    `<p><b>${escapeHtml(t.noteTitle)}</b></p>`,
    p(factLine),
    p(engagementLine(policy, t, org)),
    p(risksLine(policy, t, org)),
    `<p><b>${escapeHtml(t.noteChecklistTitle)}</b></p>`,
    `<ul>${t.checklist.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`,
    provenanceBlock(t, prov),
  ].join('\n');
}

export function renewalNote(policy: Policy, org: OrgAssessment, factLine: string, prov: Provenance): string {
  const t = policy.texts[policy.locale];
  return [
    `<p><b>${escapeHtml(t.noteTitle)}</b></p>`,
    p(factLine),
    p(engagementLine(policy, t, org)),
    p(risksLine(policy, t, org)),
    provenanceBlock(t, prov),
  ].join('\n');
}

export function escalationNote(policy: Policy, factLine: string, prov: Provenance): string {
  const t = policy.texts[policy.locale];
  return [`<p><b>${escapeHtml(t.noteTitle)}</b></p>`, p(factLine), provenanceBlock(t, prov)].join('\n');
}
