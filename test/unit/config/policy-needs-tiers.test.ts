/** doctor checks the deal field that marks a retainer (docs/policy.md §10.2) when the policy names one. */
import { describe, expect, it } from 'vitest';
import { neededFields } from '../../../src/setup/policy-needs.js';
import { policy } from '../rules/fixtures.js';

describe('fields the tier criteria need', () => {
  it('lists tierCriteria.recurrence.retainerField with its values, and nothing when the policy names none', () => {
    expect(neededFields(policy()).some((f) => f.usedBy.some((u) => u.startsWith('tierCriteria')))).toBe(false);
    const p = policy((pp) => {
      pp.tierCriteria.recurrence.retainerField = { name: 'Contract kind', values: ['Retainer'] };
    });
    expect(neededFields(p)).toContainEqual({ entity: 'deal', name: 'Contract kind', usedBy: ['tierCriteria.recurrence.retainerField.name'], options: ['Retainer'] });
  });
});
