/**
 * The sentences people read about the rules' findings, risks, tier decisions and health-score parts:
 * the policy's template for the record (`texts.<locale>.findings[textKey ?? problem]`, …) filled with the
 * record's params. Pure; it holds the locale's number and date formatters, so build one per report or
 * note rather than one per sentence.
 *
 * Params are shown as the locale reads them: numbers by Intl.NumberFormat, `…Date` params (calendar dates
 * `YYYY-MM-DD`, already in the firm's time zone, so formatted without shifting) by the locale's date
 * style, a health part's `rule` by the cadence rule's label and `risk` by the risk's report label; names
 * and values from the CRM as they are. Amounts (MONEY_PARAMS) are shown as money in their currency, one
 * way per locale ("R$ 300.000", "US$ 56.604"), and a minimum of 0 as "no minimum" (`texts.noMinimum`).
 * The result is plain text: HTML callers escape it.
 */
import type { FindingProblem, HealthPartKind, MessageParams, RiskKind, TierRuleKind } from '../domain/vocabulary.js';
import type { Locale } from './locales.js';
import { DATE_PARAM_SUFFIX, type FindingTextKey, type NoticeCode, type RiskTextKey, type TierTextKey } from './message-keys.js';
import { createDateFormatter, fillTemplate, formatNumber, numberFormat } from './texts.js';

type Params = Readonly<MessageParams>;

export interface Describer {
  finding(f: { problem: FindingProblem; params: Params; textKey?: FindingTextKey | undefined }): string;
  risk(r: { kind: RiskKind; params: Params; textKey?: RiskTextKey | undefined }): string;
  tier(t: { rule: TierRuleKind; params: Params; textKey?: TierTextKey | undefined }): string;
  healthPart(p: { kind: HealthPartKind; params: Params }): string;
  /** A notice about the run itself (src/i18n/notice.ts). */
  notice(n: { code: NoticeCode; params: Params }): string;
}

/** The templates the describer fills, in one language (the policy's `texts.<locale>`). */
export interface DescriberTexts {
  findings: Readonly<Record<FindingTextKey, string>>;
  risks: Readonly<Record<RiskTextKey, string>>;
  tierRules: Readonly<Record<TierTextKey, string>>;
  healthParts: Readonly<Record<HealthPartKind, string>>;
  notices: Readonly<Record<NoticeCode, string>>;
  report: Readonly<Record<string, string>>;
  /** What a minimum of 0 reads as ("sem mínimo"), instead of "0 anos". */
  noMinimum: string;
}

/**
 * What the describer reads from the policy (src/config/policy-schema.ts, which satisfies this shape): the
 * language, its texts, and the cadence rules' labels.
 */
export interface DescriberPolicy {
  locale: Locale;
  texts: Readonly<Record<Locale, DescriberTexts>>;
  cadenceRules: Readonly<Record<string, { label: Readonly<Record<Locale, string>> }>>;
}

/** A real calendar date `YYYY-MM-DD` (Date.parse would roll 2026-02-31 over to 3 March). */
function isRealDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const t = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().startsWith(text);
}

/** Amount params, by the param that names their currency. A `min…` amount of 0 reads "no minimum". */
const MONEY_PARAMS: Readonly<Record<string, string>> = {
  revenue: 'currency',
  latestValue: 'currency',
  previousValue: 'currency',
  revenueThreshold: 'thresholdCurrency',
  minRevenue: 'thresholdCurrency',
};

const moneyFormats = new Map<string, Intl.NumberFormat>();
function moneyFormat(locale: string, currency: string): Intl.NumberFormat {
  const id = `${locale}|${currency}`;
  let fmt = moneyFormats.get(id);
  if (!fmt) moneyFormats.set(id, (fmt = new Intl.NumberFormat(locale, { style: 'currency', currency, maximumFractionDigits: 0 })));
  return fmt;
}

const MONEY_ENTRIES = Object.entries(MONEY_PARAMS);

/** The params with amounts as money text (a currency code that Intl rejects leaves the number as it is). */
function withMoney(locale: string, noMinimum: string, params: Readonly<MessageParams>): Readonly<MessageParams> {
  if (!MONEY_ENTRIES.some(([name]) => typeof params[name] === 'number')) return params;
  const out: MessageParams = { ...params };
  for (const [name, currencyParam] of MONEY_ENTRIES) {
    const value = params[name];
    const currency = params[currencyParam] ?? (currencyParam === 'thresholdCurrency' ? params.currency : undefined);
    if (typeof value !== 'number' || typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) continue;
    out[name] = name.startsWith('min') && value === 0 ? noMinimum : moneyFormat(locale, currency).format(value);
  }
  return out;
}

export function createDescriber(policy: DescriberPolicy): Describer {
  const { locale } = policy;
  const texts = policy.texts[locale];
  const numberFmt = numberFormat(locale, 2);
  const formatDate = createDateFormatter(locale);

  // Whole numbers read the same with 2 fraction digits or the default 3: they go through the remembered counts.
  const showNumber = (n: number): string => (Number.isInteger(n) ? formatNumber(locale, n) : numberFmt.format(n));
  const fillOptions = { locale, formatNumber: showNumber };
  const dates = new Map<string, string>(); // date param values as shown (reports and notes repeat the same days)
  const showDate = (value: string): string => {
    let text = dates.get(value);
    // A date param that is not a real date is shown as stored rather than failing the report.
    if (text === undefined) dates.set(value, (text = isRealDate(value) ? formatDate(value) : value));
    return text;
  };
  const show = (name: string, value: string | number): string => {
    if (typeof value === 'number') return showNumber(value);
    return name.endsWith(DATE_PARAM_SUFFIX) ? showDate(value) : value;
  };
  const fill = (template: string, params: Readonly<MessageParams>): string => {
    // Numbers stay numbers so a plural block can choose its branch; fillTemplate formats them.
    const values: Record<string, string | number> = {};
    for (const name in params) {
      const value = params[name]!;
      values[name] = typeof value === 'number' ? value : show(name, value);
    }
    return fillTemplate(template, values, fillOptions);
  };

  return {
    finding: (f) => fill(texts.findings[f.textKey ?? f.problem], f.params),
    risk: (r) => fill(texts.risks[r.textKey ?? r.kind], withMoney(locale, texts.noMinimum, r.params)),
    tier: (t) => fill(texts.tierRules[t.textKey ?? t.rule], withMoney(locale, texts.noMinimum, t.params)),
    healthPart: (p) => {
      const { rule, risk } = p.params;
      const labels: MessageParams = {};
      if (typeof rule === 'string') labels.rule = policy.cadenceRules[rule]?.label[locale] ?? rule;
      if (typeof risk === 'string') labels.risk = texts.report[`risk_${risk}`] ?? risk;
      return fill(texts.healthParts[p.kind], { ...p.params, ...labels });
    },
    notice: (n) => fill(texts.notices[n.code], n.params),
  };
}
