/**
 * A tiny auto-escaping HTML builder: every interpolated value is escaped unless it is already `SafeHtml`.
 * Escaping by default (rather than remembering to call an escape function) is what keeps a client named
 * `<script>alert(1)</script>` inert, in text and in attributes alike.
 */
import { escapeHtml } from '../i18n/texts.js';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}


/** Interpolated values: SafeHtml as is, arrays concatenated, null/undefined/false as nothing, the rest escaped. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function renderValue(v: HtmlValue): string {
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return (v as readonly HtmlValue[]).map(renderValue).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += renderValue(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Trusted markup built by this module's callers from constants (never from data). */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
