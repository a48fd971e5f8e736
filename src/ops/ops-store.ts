/** Locks and run records on an open state store: what runAllCompanies and startScheduler take as `store`. */
import type { StateStore } from '../store/open-state-store.js';
import { lockBackendFor, type LockForStoreOptions } from '../store/lock-for-store.js';
import type { OpsStore } from './run-all-companies.js';

export function opsStoreFor(store: Pick<StateStore, 'backend' | 'namespace' | 'keyv'>, options: LockForStoreOptions = {}): OpsStore {
  return { locks: lockBackendFor(store, options), records: store.keyv };
}
