/** An API error the sandbox turns into Pipedrive's error envelope (PIPEDRIVE.md §7). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const ERROR_INFO = 'Please check developers.pipedrive.com';

/** `{success:false, error, error_info, data:null, additional_data:null}` — the §7 envelope. */
export function errorEnvelope(message: string): Record<string, unknown> {
  return { success: false, error: message, error_info: ERROR_INFO, data: null, additional_data: null };
}
