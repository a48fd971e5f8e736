/** The languages the worker ships its texts in (every template exists in each). */
import { z } from 'zod';

export const LOCALES = ['pt-BR', 'en'] as const;
export const Locale = z.enum(LOCALES);
export type Locale = z.infer<typeof Locale>;
