/**
 * What one company's job runs on: its configuration and the live parts built from it. The job states what
 * it needs here; the composition root (src/app/compose.ts) builds it, and tests build their own.
 */
import type { AppConfig } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { PipedriveClient } from '../pipedrive/client.js';
import type { CompanyState } from '../store/company-state.js';
import type { StateStore } from '../store/open-state-store.js';
import type { SecretStore } from '../store/secret-store.js';

export interface CompanyParts {
  config: AppConfig;
  logger: Logger;
  client: PipedriveClient;
  store: StateStore;
  state: CompanyState;
  /**
   * This company's credentials at rest (OAuth tokens, webhook passwords): AES-256-GCM under
   * CADENCE_SECRET_KEY; storing one without the key is refused.
   */
  secrets: SecretStore;
}
