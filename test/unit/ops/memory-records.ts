/** A record store with Keyv's get/set shape over a Map (values round-trip through JSON, like a real store). */
import type { RecordStore } from '../../../src/ops/run-record.js';

export function memoryRecords(): RecordStore & { raw: Map<string, string> } {
  const raw = new Map<string, string>();
  return {
    raw,
    async get(key) {
      const v = raw.get(key);
      return v === undefined ? undefined : JSON.parse(v);
    },
    async set(key, value) {
      raw.set(key, JSON.stringify(value));
      return true;
    },
  };
}
