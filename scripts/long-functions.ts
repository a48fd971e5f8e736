// Prints the longest functions in src/ and sandbox/ and exits 1 when any is longer than the limit.
//
// What counts: every function declaration, function expression, arrow function, method, constructor
// and accessor. Its length is the FULL span from the line where it starts (its first token, comments
// above it excluded) to the line of its closing token, both included. Functions nested inside it are
// counted again on their own, and their lines also stay in the outer function's span: moving a step
// into an inner closure does not make the outer function shorter, extracting it to a module-level
// function with explicit inputs and outputs does.
//
// Usage: tsx scripts/long-functions.ts [--max 80] [--top 20] [dir ...]   (dirs default to src sandbox)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

export interface FunctionSpan {
  file: string;
  line: number;
  name: string;
  lines: number;
}

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts'];

/** Every TypeScript source file under `dir`, test files and declaration files excluded, sorted. */
export function listSourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== 'node_modules') out.push(...listSourceFiles(path));
    } else if (
      SOURCE_EXTENSIONS.some((ext) => entry.endsWith(ext)) &&
      !entry.endsWith('.d.ts') &&
      !/\.test\.[cm]?tsx?$/.test(entry)
    ) {
      out.push(path);
    }
  }
  return out;
}

function isFunctionNode(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

function propertyNameText(name: ts.PropertyName | ts.BindingName): string | undefined {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}

/** A readable name: the declared one, else the variable, property or call the function is given to. */
export function functionName(node: ts.FunctionLikeDeclaration): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const own = node.name ? propertyNameText(node.name) : undefined;
  if (own) return own;
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
    const named = propertyNameText(parent.name);
    if (named) return named;
  }
  if (ts.isCallExpression(parent)) {
    const callee = parent.expression.getText();
    return `<callback of ${callee.length > 40 ? `${callee.slice(0, 37)}...` : callee}>`;
  }
  return '<anonymous>';
}

/** Every function in one source text, with its full line span. */
export function functionSpans(file: string, text: string): FunctionSpan[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const spans: FunctionSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionNode(node) && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      spans.push({ file, line: start + 1, name: functionName(node), lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

interface Options {
  max: number;
  top: number;
  dirs: string[];
}

function parseOptions(argv: string[]): Options {
  const options: Options = { max: 80, top: 20, dirs: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--max' || arg === '--top') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`${arg} needs a positive whole number`);
      if (arg === '--max') options.max = value;
      else options.top = value;
    } else if (arg.startsWith('--')) {
      throw new Error(`unknown option ${arg}; use --max N, --top N and directories`);
    } else {
      options.dirs.push(arg);
    }
  }
  if (options.dirs.length === 0) options.dirs = ['src', 'sandbox'];
  return options;
}

function main(): number {
  const options = parseOptions(process.argv.slice(2));
  const spans = options.dirs
    .flatMap((dir) => listSourceFiles(dir))
    .flatMap((file) => functionSpans(relative(process.cwd(), file), readFileSync(file, 'utf8')))
    .sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file) || a.line - b.line);
  const over = spans.filter((s) => s.lines > options.max);
  const shown = spans.slice(0, Math.max(options.top, over.length));
  const width = Math.max(...shown.map((s) => `${s.file}:${s.line}`.length), 10);
  console.log(`Longest functions in ${options.dirs.join(', ')} (limit ${options.max} lines):`);
  for (const s of shown) {
    const mark = s.lines > options.max ? '  <-- over the limit' : '';
    console.log(`${String(s.lines).padStart(5)}  ${`${s.file}:${s.line}`.padEnd(width)}  ${s.name}${mark}`);
  }
  if (over.length > 0) {
    console.error(
      `${over.length} function(s) longer than ${options.max} lines: split each into named steps ` +
        '(module-level functions with explicit inputs and outputs).',
    );
    return 1;
  }
  console.log(`${spans.length} functions, none longer than ${options.max} lines.`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main();
