import { describe, expect, it } from 'vitest';
import { functionSpans } from '../../../scripts/long-functions.js';

describe('long-functions script', () => {
  it('counts the full span of a function, nested functions included, and each nested one on its own', () => {
    const text = [
      '// comment above is not counted',
      'export function outer(a: number): number {', // line 2
      '  const inner = (b: number) => {', // line 3
      '    return b + 1;',
      '  };', // line 5
      '  return inner(a);',
      '}', // line 7
    ].join('\n');
    const spans = functionSpans('x.ts', text);
    expect(spans).toEqual([
      { file: 'x.ts', line: 2, name: 'outer', lines: 6 },
      { file: 'x.ts', line: 3, name: 'inner', lines: 3 },
    ]);
  });

  it('names methods, constructors, object-literal functions and callbacks', () => {
    const text = [
      'class A {',
      '  constructor() {}',
      '  run() { return 1; }',
      '}',
      'const o = { go: function () { return 2; } };',
      '[1].map((x) => x);',
      'declare function noBody(): void;',
    ].join('\n');
    expect(functionSpans('y.ts', text).map((s) => s.name)).toEqual([
      'constructor',
      'run',
      'go',
      '<callback of [1].map>',
    ]);
  });
});
