/**
 * A sync in its own process, for the kill-and-resume test: runs runSync against a sandbox URL into a
 * SQLite state file and prints one line per committed page (`page <entity> <pages>`) then `done <json>`.
 * Usage: node --import tsx test/e2e/support/sync-child.ts <baseUrl> <token> <sqliteFile> <companyId> [<maxChains>:<minPagesPerChain>]
 * (the chain tuning of the sync, default its own).
 */
import { createLogger } from '../../../src/log/logger.js';
import { createPipedriveClient } from '../../../src/pipedrive/client.js';
import { openStateStore } from '../../../src/store/open-state-store.js';
import { runSync } from '../../../src/sync/run-sync.js';
import { systemClock } from '../../../src/domain/clock.js';

const [baseUrl, apiToken, file, companyId, chainsArg] = process.argv.slice(2);
const [maxChains, minPagesPerChain] = (chainsArg ?? '').split(':').map(Number);
const chains = maxChains && minPagesPerChain ? { chains: { maxChains, minPagesPerChain } } : {};
if (!baseUrl || !apiToken || !file || !companyId) {
  console.error('usage: sync-child.ts <baseUrl> <token> <sqliteFile> <companyId>');
  process.exit(2);
}
const logger = createLogger({ level: 'warn' });
const store = await openStateStore(`sqlite://${file}`, logger);
const client = createPipedriveClient({ connection: { baseUrl, apiToken, timeoutMs: 10_000, concurrency: 2 }, logger });
const summary = await runSync({
  client,
  companyState: store.company(companyId),
  logger,
  clock: systemClock(),
  reconcile: 'skip',
  ...chains,
  onProgress: (p) => {
    if (p.phase === 'pull' && p.entity) process.stdout.write(`page ${p.entity} ${p.pages}\n`);
  },
});
process.stdout.write(`done ${JSON.stringify({ status: summary.status, entities: summary.entities, archivedDeals: summary.archivedDeals })}\n`);
await store.close();
