/**
 * A notice: something the job says about its own run rather than about a client — a flag field that does
 * not exist, a user that does not resolve, a write-back refused by the cap, a run that failed.
 *
 * It carries its code and params, so each reader gets it in its own language: `message` is the English
 * text (`texts.en.notices`) for logs, the CLI and run history, which operators grep; the reports render
 * `describer.notice(n)` in the policy's language.
 */
import { z } from 'zod';
import { createDescriber, type DescriberPolicy } from './describe.js';
import { NOTICE_CODES, type NoticeCode } from './message-keys.js';
import { MessageParams } from '../domain/vocabulary.js';

export const Notice = z.object({
  code: z.enum(NOTICE_CODES),
  params: MessageParams,
  /** The English text, for logs and the CLI. */
  message: z.string(),
});
export type Notice = z.infer<typeof Notice>;
/** A notice by code and params, before anyone words it. */
export type NoticeRef = Pick<Notice, 'code' | 'params'>;

type NoticePolicy = Pick<DescriberPolicy, 'texts' | 'cadenceRules'>;

/** Builds a notice; its `message` is the policy's English template filled with the params. */
export function notice(policy: NoticePolicy, code: NoticeCode, params: MessageParams = {}): Notice {
  const message = createDescriber({ ...policy, locale: 'en' }).notice({ code, params });
  return { code, params, message };
}
