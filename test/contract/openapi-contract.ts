/**
 * Pipedrive's published OpenAPI descriptions (test/contract/spec/, see SOURCE.md there) as the contract of
 * every exchange between the worker and the sandbox:
 *
 * - the request: the path and method are an operation of the spec; every query parameter is declared by
 *   it and its value fits the parameter's schema (enums; for a parameter documented as a "comma separated"
 *   list, each element; `limit` within the "maximum value" its description states); every top-level body
 *   key is declared by the request body schema and the body fits it;
 * - the response: a 2xx body fits the operation's response schema for that status.
 *
 * Schemas are checked by Ajv (JSON Schema draft-07 with OpenAPI's `nullable`) and ajv-formats; the spec
 * documents are added to Ajv whole, so `$ref`s resolve inside them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import type { SandboxExchange } from '../../sandbox/server.js';

type Json = Record<string, unknown>;
type Doc = 'v1' | 'v2';

/** One request and its answer, as the sandbox reports it (`onExchange`). */
export type Exchange = SandboxExchange;

export interface Violation {
  exchange: string;
  where: 'request' | 'response';
  problem: string;
}

const SPEC_DIR = fileURLToPath(new URL('./spec/', import.meta.url));

/**
 * Where the copied spec is behind the API it describes, and a newer official source says so. Each entry:
 * the JSON pointer in the spec, what replaces the schema there, and the source.
 */
const OVERLAYS: { doc: Doc; pointerRe: RegExp; replace: Json; source: string }[] = [
  {
    // The v2 Fields APIs: option ids are "integer for custom fields, string for built-in fields" (pipedrive
    // SDK 33 model GetActivityFields200ResponseDataInnerOptionsInnerId), the copied file says integer only.
    doc: 'v2',
    pointerRe: /^\/paths\/~1(deal|person|organization|activity)Fields(~1\{field_code\})?\/.*\/options\/items\/properties\/id$/,
    replace: { oneOf: [{ type: 'integer' }, { type: 'string' }] },
    source: 'pipedrive SDK 33 v2 model GetActivityFields200ResponseDataInnerOptionsInnerId',
  },
];

/**
 * The published files declare `nullable` unevenly: the deal list schema says `lost_time: string` where the
 * Deal model of the same file and the SDK say `string | null`; `next_cursor` is described as "null if you
 * have reached the end" under a `type: string`. For responses, an optional property (not in `required`)
 * that has a `type` may therefore be null; a non-null value is still checked against its type, enum and
 * format, and required properties stay as declared.
 */
function tolerateNullOptionals(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    for (const n of node) tolerateNullOptionals(n);
    return;
  }
  const o = node as Json;
  if (o.properties && typeof o.properties === 'object' && !Array.isArray(o.properties)) {
    const required = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
    for (const [k, prop] of Object.entries(o.properties as Json)) {
      const p = prop as Json;
      if (!required.has(k) && p && typeof p === 'object' && typeof p.type === 'string' && p.nullable === undefined) p.nullable = true;
    }
  }
  for (const v of Object.values(o)) tolerateNullOptionals(v);
}

/**
 * v1 declares its times `format: date-time` while its own examples (and the API) write them
 * "2019-10-04 16:24:55" (UTC, space-separated): v1 times are checked as either form.
 */
function v1Times(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  const o = node as Json;
  if (o.format === 'date-time') o.format = 'v1-date-time';
  for (const v of Object.values(o)) v1Times(v);
}
const V1_TIME = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function applyOverlays(doc: Doc, node: unknown, pointer = ''): void {
  if (typeof node !== 'object' || node === null) return;
  for (const [k, v] of Object.entries(node as Json)) {
    const p = `${pointer}/${escapePointer(k)}`;
    const overlay = OVERLAYS.find((o) => o.doc === doc && o.pointerRe.test(p));
    if (overlay) (node as Json)[k] = { ...overlay.replace, description: `overlay: ${overlay.source}` };
    else applyOverlays(doc, v, p);
  }
}

interface Operation {
  doc: Doc;
  template: string;
  regex: RegExp;
  method: string;
  op: Json;
}

export interface OpenApiContract {
  check(x: Exchange): Violation[];
}

let shared: OpenApiContract | undefined;

/** The contract, built once per test process (parsing the two files takes about a second). */
export function openApiContract(): OpenApiContract {
  shared ??= buildContract();
  return shared;
}

function buildContract(): OpenApiContract {
  const docs: Record<Doc, Json> = {
    v1: parse(readFileSync(`${SPEC_DIR}pipedrive-v1-openapi.yml`, 'utf8')) as Json,
    v2: parse(readFileSync(`${SPEC_DIR}pipedrive-v2-openapi.yml`, 'utf8')) as Json,
  };
  applyOverlays('v2', docs.v2);
  v1Times(docs.v1);
  // Responses are checked against a copy whose optional properties may be null (see tolerateNullOptionals).
  const responseDocs = structuredClone(docs);
  tolerateNullOptionals(responseDocs.v1);
  tolerateNullOptionals(responseDocs.v2);

  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, discriminator: false });
  // Query strings are text: coerce "500" → 500 and "true" → true before checking the parameter's schema.
  const ajvQuery = new Ajv({ strict: false, allErrors: true, validateSchema: false, coerceTypes: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
  for (const a of [ajv, ajvQuery]) {
    addFormats(a);
    // Formats the spec names that are not JSON Schema formats: `url` (RFC 3986 like `uri`), `string` (none).
    a.addFormat('url', /^[a-z][a-z0-9+.-]*:\/\/\S+$/i);
    a.addFormat('string', true);
    a.addFormat('v1-date-time', V1_TIME);
    a.addSchema(docs.v1, 'v1');
    a.addSchema(docs.v2, 'v2');
  }
  ajv.addSchema(responseDocs.v1, 'v1r');
  ajv.addSchema(responseDocs.v2, 'v2r');

  const operations: Operation[] = [];
  for (const doc of ['v1', 'v2'] as const) {
    for (const [template, item] of Object.entries(docs[doc].paths as Record<string, Json>)) {
      const regex = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
        const op = item[method] as Json | undefined;
        if (op) operations.push({ doc, template, regex, method: method.toUpperCase(), op });
      }
    }
  }

  const cache = new Map<string, ValidateFunction>();
  const compile = (a: Ajv, key: string, schema: Json): ValidateFunction => {
    let v = cache.get(key);
    if (!v) {
      v = a.compile(schema);
      cache.set(key, v);
    }
    return v;
  };
  const pointerOf = (o: Operation) => `#/paths/${escapePointer(o.template)}/${o.method.toLowerCase()}`;
  const deref = (doc: Doc, node: unknown): Json => {
    let n = node as Json;
    for (let i = 0; i < 10 && typeof n?.$ref === 'string'; i++) {
      const path = (n.$ref as string).replace(/^#\//, '').split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      n = path.reduce<unknown>((acc, k) => (acc as Json)[k], docs[doc]) as Json;
    }
    return n;
  };
  /** Top-level property names a body schema declares (through $ref and allOf/oneOf/anyOf); null = any. */
  const declaredKeys = (doc: Doc, schema: unknown, depth = 0): Set<string> | null => {
    const s = deref(doc, schema);
    if (!s || depth > 8) return new Set();
    if (s.additionalProperties !== undefined && s.additionalProperties !== false) return null;
    const out = new Set(Object.keys((s.properties as Json | undefined) ?? {}));
    for (const k of ['allOf', 'oneOf', 'anyOf']) {
      for (const sub of (s[k] as unknown[] | undefined) ?? []) {
        const keys = declaredKeys(doc, sub, depth + 1);
        if (keys === null) return null;
        for (const key of keys) out.add(key);
      }
    }
    return out;
  };
  const errors = (list: ErrorObject[] | null | undefined): string =>
    (list ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}${e.params && 'allowedValues' in e.params ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`)
      .join('; ');

  const locate = (path: string): { doc: Doc; rest: string } | null => {
    if (path.startsWith('/api/v2/')) return { doc: 'v2', rest: path.slice(7) };
    if (path.startsWith('/api/v1/')) return { doc: 'v1', rest: path.slice(7) };
    if (path.startsWith('/v1/')) return { doc: 'v1', rest: path.slice(3) };
    return null;
  };

  return {
    check(x) {
      const name = `${x.method} ${x.path}`;
      const out: Violation[] = [];
      const bad = (where: Violation['where'], problem: string) => out.push({ exchange: name, where, problem });
      const loc = locate(x.path);
      if (!loc) return (bad('request', 'path is not under /api/v2, /api/v1 or /v1'), out);
      const rest = loc.rest.replace(/\/+$/, '');
      const candidates = operations.filter((o) => o.doc === loc.doc && o.regex.test(rest));
      // A literal segment beats a template (`/deals/archived` over `/deals/{id}`).
      candidates.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
      if (candidates.length === 0) return (bad('request', `no ${loc.doc} operation has the path ${rest}`), out);
      const operation = candidates.find((o) => o.method === x.method);
      if (!operation) return (bad('request', `${x.method} is not a method of ${loc.doc} ${candidates[0]!.template}`), out);
      const opKey = `${operation.doc} ${operation.method} ${operation.template}`;

      // Query parameters: declared, and each value fits.
      const params = ((operation.op.parameters as unknown[] | undefined) ?? []).map((p) => deref(operation.doc, p));
      const query = params.filter((p) => p.in === 'query');
      for (const [key, value] of Object.entries(x.query)) {
        const p = query.find((q) => q.name === key);
        if (!p) {
          bad('request', `query parameter "${key}" is not declared by ${opKey}`);
          continue;
        }
        const schema = { ...(deref(operation.doc, p.schema) ?? {}) };
        const description = typeof p.description === 'string' ? p.description : '';
        const max = /maximum value of (\d+)/i.exec(description);
        if (max && (schema.type === 'integer' || schema.type === 'number')) schema.maximum = Number(max[1]);
        const list = /comma separated/i.test(description) && Array.isArray(schema.enum);
        const values = list ? value.split(',') : [value];
        const v = compile(ajvQuery, `q ${opKey} ${key} ${JSON.stringify(schema)}`, { type: 'object', properties: { value: schema } });
        for (const one of values) {
          const holder = { value: one };
          if (!v(holder)) bad('request', `query ${key}=${value}: ${errors(v.errors)}`);
        }
      }
      for (const p of query.filter((q) => q.required === true)) {
        if (!(String(p.name) in x.query)) bad('request', `required query parameter "${String(p.name)}" is missing`);
      }

      // Body: declared keys, and the body fits the schema.
      const requestBody = deref(operation.doc, operation.op.requestBody);
      if (x.requestBody !== undefined) {
        const content = requestBody?.content as Json | undefined;
        const media = content?.['application/json'] as Json | undefined;
        if (!media) bad('request', `${opKey} takes no JSON body`);
        else {
          const keys = declaredKeys(operation.doc, media.schema);
          if (keys && typeof x.requestBody === 'object' && x.requestBody !== null && !Array.isArray(x.requestBody)) {
            for (const k of Object.keys(x.requestBody)) if (!keys.has(k)) bad('request', `body key "${k}" is not declared by ${opKey}`);
          }
          const ptr = `${pointerOf(operation)}/requestBody/content/application~1json/schema`;
          const v = compile(ajv, `b ${opKey}`, { $ref: `${operation.doc}${ptr}` });
          if (!v(x.requestBody)) bad('request', `body: ${errors(v.errors)}`);
        }
      } else if (requestBody?.required === true) bad('request', `${opKey} requires a body`);

      // Response: a 2xx body fits the declared schema for its status.
      if (x.status >= 200 && x.status < 300) {
        const responses = (operation.op.responses as Json | undefined) ?? {};
        const status = String(x.status) in responses ? String(x.status) : '2XX' in responses ? '2XX' : 'default' in responses ? 'default' : null;
        if (!status) bad('response', `status ${x.status} is not a response ${opKey} declares (${Object.keys(responses).join(', ')})`);
        else {
          const resp = deref(operation.doc, responses[status]);
          const hasJson = Boolean((resp.content as Json | undefined)?.['application/json']);
          if (hasJson) {
            const base = typeof (responses[status] as Json).$ref === 'string' ? ((responses[status] as Json).$ref as string) : `${pointerOf(operation)}/responses/${status}`;
            const v = compile(ajv, `r ${opKey} ${status}`, { $ref: `${operation.doc}r${base}/content/application~1json/schema` });
            if (!v(x.responseBody)) bad('response', `body (${status}): ${errors(v.errors)}`);
          }
        }
      }
      return out;
    },
  };
}
