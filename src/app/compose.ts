/**
 * The composition root: the one place where configuration becomes live parts (logger, state store,
 * Pipedrive client) and they are handed to the job. Nothing else constructs these.
 */
import { configSecrets, type AppConfig } from '../config/load-config.js';
import { createLogger, type Logger, type LoggerOptions } from '../log/logger.js';
import { createPipedriveClient, type PipedriveClient } from '../pipedrive/client.js';
import { openStateStore, type StateStore } from '../store/open-state-store.js';
import { encryptedSecretStore, secretKeyring, type SecretStore } from '../store/secret-store.js';
import type { CompanyParts } from '../job/company-parts.js';

/** A logger that censors every secret of this configuration, wherever it appears. */
export function loggerFor(
  config: Pick<AppConfig, 'logLevel' | 'pipedrive'> & Partial<Pick<AppConfig, 'statusToken' | 'secretKeys'>>,
  destination?: LoggerOptions['destination'],
): Logger {
  const secrets = configSecrets(config);
  return createLogger({ level: config.logLevel, secrets, ...(destination ? { destination } : {}) });
}

export function clientFor(config: AppConfig, logger: Logger, secrets?: SecretStore): PipedriveClient {
  return createPipedriveClient({ connection: config.pipedrive, logger: logger.child({ component: 'pipedrive' }), ...(secrets ? { secrets } : {}) });
}

/** The company's secrets (OAuth tokens, webhook credentials) in the state store, encrypted under CADENCE_SECRET_KEY. */
export function secretsFor(config: AppConfig, store: StateStore): SecretStore {
  return encryptedSecretStore(store, config.companyId, secretKeyring(config.secretKeys));
}

/**
 * A client for a one-off command (setup, doctor). An OAuth app install keeps its rotated tokens in the
 * state store, so the store is opened for it; an API token needs none.
 */
export async function commandClient(config: AppConfig, logger: Logger): Promise<{ client: PipedriveClient; close(): Promise<void> }> {
  if (!config.pipedrive.oauthApp || config.pipedrive.apiToken) return { client: clientFor(config, logger), close: async () => undefined };
  const store = await openStateStore(config.stateUrl, logger.child({ component: 'store' }));
  return { client: clientFor(config, logger, secretsFor(config, store)), close: () => store.close() };
}

/** Opens the state store and builds the client for one company. `store` may be shared between companies. */
export async function composeCompany(config: AppConfig, logger: Logger, store?: StateStore): Promise<CompanyParts & { close(): Promise<void> }> {
  const owned = store === undefined;
  const theStore = store ?? (await openStateStore(config.stateUrl, logger.child({ component: 'store' })));
  const client = clientFor(config, logger, secretsFor(config, theStore));
  return {
    config,
    logger,
    client,
    store: theStore,
    state: theStore.company(config.companyId),
    secrets: secretsFor(config, theStore),
    async close() {
      if (owned) await theStore.close();
    },
  };
}
