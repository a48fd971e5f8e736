/**
 * The report's per-executive and portfolio views (docs/policy.md §10.5): part of `ReportV1`, kept in their own
 * module. Amounts are in the firm currency; percentages are 0–100 with one decimal, null when undefined
 * (nothing to divide by).
 */
import { z } from 'zod';

const int = z.number().int();
const count = z.number().int().min(0);
const percent = z.number().nullable();

/** One account owner's book [003 §6: metas de vendas, crescimento da receita]. */
export const ExecutiveView = z.object({
  ownerId: int.nullable(),
  ownerName: z.string().nullable(),
  /** False when the owner is deactivated in Pipedrive (or unknown). */
  active: z.boolean(),
  clients: count,
  byTier: z.array(z.object({ tier: int, clients: count })),
  /** Clients with an applicable rule, those on cadence (on track or due soon) among them, and the share. */
  withCadence: count,
  onCadence: count,
  onCadencePercent: percent,
  /** Clients overdue or never touched. */
  overdue: count,
  /** Escalations this run planned (follow-ups still open past the escalation delay). */
  escalations: count,
  /** Open touchpoint activities of the owner's clients past their due date. */
  missedActivities: count,
  /** Clients whose contract ends within the renewal window. */
  renewalsDue: count,
  stalledDeals: count,
  revenue12m: z.number(),
  revenuePrevious12m: z.number(),
  /** 12-month revenue against the 12 months before; null without revenue before. */
  growthPercent: percent,
});
export type ExecutiveView = z.infer<typeof ExecutiveView>;

/** The firm's book as a whole [004 strategic metrics]. */
export const PortfolioView = z.object({
  clients: count,
  revenue12m: z.number(),
  revenuePrevious12m: z.number(),
  growthPercent: percent,
  /** Share of 12-month revenue from the strategic tiers (`views.strategicMinTier` and up). */
  strategic: z.object({ minTier: int, clients: count, revenue12m: z.number(), percent }),
  /** Concentration: share of 12-month revenue from the `views.topClients` largest clients, and who they are. */
  top: z.object({
    size: count,
    revenue12m: z.number(),
    percent,
    clients: z.array(z.object({ orgId: int, orgName: z.string(), url: z.string(), tier: int, revenue12m: z.number(), percent })),
  }),
  byTier: z.array(
    z.object({
      tier: int,
      clients: count,
      revenue12m: z.number(),
      revenuePrevious12m: z.number(),
      /** Revenue trend of the tier: 12 months against the 12 before. */
      growthPercent: percent,
      /** Share of the portfolio's 12-month revenue. */
      sharePercent: percent,
      averageTenureYears: z.number().nullable(),
    }),
  ),
});
export type PortfolioView = z.infer<typeof PortfolioView>;

/** Health over time of the strategic clients [004: "Meça saúde de relacionamento trimestralmente"]. */
export const HealthTrend = z.object({
  /** ISO weeks shown, oldest first; the last is the run's week. */
  weeks: z.array(z.string()),
  minTier: int,
  /** A drop of this many points below the best earlier week shown is flagged. */
  dropPoints: int,
  /** Flagged clients first, then by drop. */
  clients: z.array(
    z.object({
      orgId: int,
      orgName: z.string(),
      url: z.string(),
      tier: int,
      ownerId: int.nullable(),
      ownerName: z.string().nullable(),
      /** One score per week of `weeks` (null when the store has none for that week). */
      scores: z.array(int.nullable()),
      latest: int,
      /** The best earlier week shown, and how far below it the latest score is (null without history). */
      best: int.nullable(),
      drop: int.nullable(),
      flagged: z.boolean(),
    }),
  ),
});
export type HealthTrend = z.infer<typeof HealthTrend>;
