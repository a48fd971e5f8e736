/**
 * Records every exchange a sandbox serves and checks it against Pipedrive's published OpenAPI files
 * (openapi-contract.ts). End-to-end tests pass `contract.onExchange` to `startSandbox` and call
 * `contract.expectClean()` after their runs: a request the worker sends or a response the sandbox gives
 * that the spec does not allow fails the test, with the exchange and the rule it broke.
 */
import { expect } from 'vitest';
import type { SandboxExchange } from '../../sandbox/server.js';
import { openApiContract, type Violation } from './openapi-contract.js';

export interface ContractRecorder {
  onExchange: (x: SandboxExchange) => void;
  /** Exchanges checked so far, by `METHOD path`. */
  checked(): Map<string, number>;
  violations(): Violation[];
  /** Fails with the first violations found (one line per distinct problem). */
  expectClean(): void;
}

export function contractRecorder(): ContractRecorder {
  const contract = openApiContract();
  const found: Violation[] = [];
  const seen = new Set<string>();
  const checked = new Map<string, number>();
  return {
    onExchange(x) {
      const k = `${x.method} ${x.path.replace(/\/\d+(?=\/|$)/g, '/{id}')}`;
      checked.set(k, (checked.get(k) ?? 0) + 1);
      for (const v of contract.check(x)) {
        const key = `${v.exchange.replace(/\/\d+(?=\/|$)/g, '/{id}')} ${v.where} ${v.problem}`;
        if (seen.has(key)) continue;
        seen.add(key);
        found.push(v);
      }
    },
    checked: () => new Map(checked),
    violations: () => [...found],
    expectClean() {
      expect(checked.size, 'no exchange was recorded: is onExchange passed to startSandbox?').toBeGreaterThan(0);
      if (found.length > 0) {
        const lines = found.slice(0, 20).map((v) => `  ${v.exchange} [${v.where}] ${v.problem}`);
        throw new Error(`${found.length} exchange(s) break Pipedrive's published API (test/contract/spec):\n${lines.join('\n')}`);
      }
    },
  };
}
