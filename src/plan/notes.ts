/**
 * The HTML notes of the activities the worker creates: what to do with the activity, the gaps behind it, the
 * policy's checklist for its kind, and the provenance block (what created it, run id, the `cadence-key:`
 * marker the sync reads back). Every interpolated value is escaped; the templates come from the policy file.
 */
import type { ChecklistKind, Policy, Templates } from '../config/policy-schema.js';
import { provenanceMarker } from '../domain/provenance.js';
import { createDescriber, type Describer } from '../i18n/describe.js';
import type { OrgAssessment } from '../rules/types.js';
import { escapeHtml, fillTemplate } from '../i18n/texts.js';

export interface Provenance {
  /** What created it, in the policy's words: the rule's label, "Renewal planning", "Escalation of …". */
  rule: string;
  /** Why, when the note does not already say it above (empty: nothing more). */
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

/** One describer per policy (a policy is not changed once parsed): the planner writes thousands of notes a night. */
const describers = new WeakMap<Policy, Describer>();
function describerOf(policy: Policy): Describer {
  let describer = describers.get(policy);
  if (!describer) describers.set(policy, (describer = createDescriber(policy)));
  return describer;
}

/** The client's open risks in the policy's words (`texts.<locale>.risks`), joined into one line. */
export function risksLine(policy: Policy, t: Templates, org: OrgAssessment): string {
  if (org.risks.length === 0) return t.noteNoRisks;
  const describer = describerOf(policy);
  return fillTemplate(t.noteRisks, { risks: org.risks.map((r) => describer.risk(r)).join('; ') });
}

export function provenanceBlock(t: Templates, prov: Provenance): string {
  const line = fillTemplate(t.noteProvenance, { rule: prov.rule, runId: prov.runId, key: prov.key });
  const reason = prov.reason ? `<br>${escapeHtml(prov.reason)}` : '';
  // The marker stays on its own line so it survives an admin editing the text around it.
  return `<p><small>${escapeHtml(line)}${reason}<br>${escapeHtml(provenanceMarker(prov.key))}</small></p>`;
}

/**
 * The parts every note of one language shares (title, action, checklists), escaped once per templates object:
 * the planner writes tens of thousands of notes a night, and a note built by concatenation keeps references to
 * these shared strings instead of a copy of them (a policy's templates are not changed once parsed).
 */
interface SharedBlocks {
  /** `<p><b>title</b></p>\n`, the start of every note. */
  title: string;
  /** The follow-up's start, up to the list of gaps: title, action, gaps heading. */
  followUpHead: string;
  checklists: Map<ChecklistKind, string>;
}
const sharedBlocks = new WeakMap<Templates, SharedBlocks>();
function blocksOf(t: Templates): SharedBlocks {
  let b = sharedBlocks.get(t);
  if (!b) {
    const title = `<p><b>${escapeHtml(t.noteTitle)}</b></p>\n`;
    b = { title, followUpHead: `${title}${p(t.noteAction)}\n<p><b>${escapeHtml(t.noteGapsTitle)}</b></p>\n`, checklists: new Map() };
    sharedBlocks.set(t, b);
  }
  return b;
}

function checklistBlock(t: Templates, kind: ChecklistKind): string {
  const blocks = blocksOf(t);
  let block = blocks.checklists.get(kind);
  if (block === undefined) {
    const list = t.checklists[kind];
    let items = '';
    for (const item of list.items) items += `<li>${escapeHtml(item)}</li>`;
    blocks.checklists.set(kind, (block = `<p><b>${escapeHtml(list.title)}</b></p>\n<ul>${items}</ul>`));
  }
  return block;
}

export interface FollowUpNoteContent {
  /** One line per gap the activity carries, most senior first ("FUP estratégico: Atrasado — …"). */
  gaps: readonly string[];
  /** The most senior rule's checklist. */
  checklist: ChecklistKind;
}

/** The activity is the meeting: what to do with it, every gap it carries, the facts, and the checklist. */
export function followUpNote(policy: Policy, org: OrgAssessment, content: FollowUpNoteContent, prov: Provenance): string {
  const t = policy.texts[policy.locale];
  let gaps = '';
  for (const g of content.gaps) gaps += `<li>${escapeHtml(g)}</li>`;
  return (
    `${blocksOf(t).followUpHead}<ul>${gaps}</ul>\n${p(engagementLine(policy, t, org))}\n${p(risksLine(policy, t, org))}\n` +
    `${checklistBlock(t, content.checklist)}\n${provenanceBlock(t, prov)}`
  );
}

export function renewalNote(policy: Policy, org: OrgAssessment, factLine: string, prov: Provenance): string {
  const t = policy.texts[policy.locale];
  return (
    `${blocksOf(t).title}${p(factLine)}\n${p(engagementLine(policy, t, org))}\n${p(risksLine(policy, t, org))}\n` +
    `${checklistBlock(t, 'renewal')}\n${provenanceBlock(t, prov)}`
  );
}

export function escalationNote(policy: Policy, factLine: string, prov: Provenance): string {
  const t = policy.texts[policy.locale];
  return `${blocksOf(t).title}${p(factLine)}\n${provenanceBlock(t, prov)}`;
}
