/**
 * Checks real API answers against the OpenAPI document the API serves (issue 24 item 5: the description and
 * the types must not drift). The schemas are strict (no unlisted properties), so a field added to the answer
 * but not to the document, or the reverse, fails the test that fetched it.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { ENDPOINTS, openApiDocument, type EndpointSpec } from '../../../indexer/api/openapi';

type Json = unknown;

/**
 * OpenAPI 3.0 `nullable: true` -> JSON Schema `anyOf [null, …]`. Ajv's own `nullable` support only widens a
 * sibling `type`, which a `$ref` or an `enum` does not have.
 */
function toJsonSchema(s: Json): Json {
    if (Array.isArray(s)) return s.map(toJsonSchema);
    if (s === null || typeof s !== 'object') return s;
    const out = new Map<string, Json>();
    let nullable = false;
    for (const [k, v] of Object.entries(s)) {
        if (k === 'nullable') nullable = v === true;
        else
            out.set(
                k,
                k === 'properties'
                    ? Object.fromEntries(Object.entries(v as object).map(([p, x]) => [p, toJsonSchema(x)]))
                    : toJsonSchema(v),
            );
    }
    const plain = Object.fromEntries(out);
    return nullable ? { anyOf: [{ type: 'null' }, plain] } : plain;
}

const pattern = (template: string) => new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$');

export class OpenApiChecker {
    private readonly validators = new Map<string, ValidateFunction>();
    /** Endpoints whose answer was checked at least once. */
    readonly checked = new Set<string>();

    constructor() {
        const doc = toJsonSchema(openApiDocument('test')) as { components: { schemas: object } };
        const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
        ajv.addSchema({ $id: 'api', components: doc.components });
        for (const e of ENDPOINTS) {
            if (e.contentType && e.contentType !== 'application/json') continue;
            const body = typeof e.response === 'string' ? { $ref: `api#/components/schemas/${e.response}` } : toJsonSchema(e.response);
            // Refs inside component schemas are document-relative ('#/components/…'): resolve them in 'api'.
            this.validators.set(e.path, ajv.compile(JSON.parse(JSON.stringify(body).replaceAll('"#/components/', '"api#/components/'))));
        }
    }

    /** JSON endpoints (the ones a test must check). */
    get jsonEndpoints(): string[] {
        return [...this.validators.keys()];
    }

    endpointOf(path: string): EndpointSpec | undefined {
        const p = path.split('?')[0];
        return ENDPOINTS.find((e) => e.path === p) ?? ENDPOINTS.find((e) => pattern(e.path).test(p));
    }

    /** Throws with the schema errors when `body` (a 200 answer of `path`) does not match the document. */
    check(path: string, body: Json): void {
        const e = this.endpointOf(path);
        if (!e) throw new Error(`${path}: no endpoint in the OpenAPI document`);
        const validate = this.validators.get(e.path);
        if (!validate) return;
        if (!validate(body))
            throw new Error(
                `${path}: answer does not match the OpenAPI schema of ${e.path}: ${JSON.stringify(validate.errors?.slice(0, 5))}`,
            );
        this.checked.add(e.path);
    }
}
