// Every response a test receives through the helpers' api() is checked against the OpenAPI document (/swagger/json):
// its status must be documented for the operation, its documented headers present and well-formed, its body valid.
// So any test that hits an endpoint also checks that the document tells the truth about it.
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

type Json = Record<string, any>;

/** Addresses that are not part of the API, answered without checking, each with its reason. */
const NOT_API: [RegExp, string][] = [
  [/^\/$/, "the web client's page (Bun's own routes)"],
  [/^\/[^/]+\.(js|css|map|svg|png|ico|webmanifest)$/, "the web client's bundled files, served beside the page"],
  [/^\/(swagger|asyncapi\.json|api-listing\/|api-documentation\/)/, "the documentation itself"],
  [/^\/ws(\/|$)/, "WebSocket upgrades: the AsyncAPI document's"],
];

interface Operation {
  pattern: RegExp;
  method: string;
  path: string;
  spec: Json;
}

export interface Contract {
  doc: Json;
  operations: Operation[];
  validators: Map<string, ValidateFunction>;
  ajv: Ajv;
}

let contract: Promise<Contract> | undefined;

/** The document, read once per test process (every app has the same routes). */
export function loadContract(fetchDocument: () => Promise<Response>): Promise<Contract> {
  return (contract ??= (async () => {
    const doc = (await (await fetchDocument()).json()) as Json;
    const operations: Operation[] = [];
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`);
      for (const [method, spec] of Object.entries(item as Json)) operations.push({ pattern, method: method.toUpperCase(), path, spec });
    }
    // A literal segment wins over a template (/api/users/lookup/ over /api/{user_id}/).
    operations.sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0));
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(toJsonSchema({ components: doc.components }), "openapi.json");
    return { doc, operations, validators: new Map(), ajv };
  })());
}

/** OpenAPI 3.0's Schema Object as JSON Schema: `nullable: true` becomes "or null"; refs point into the registered document. */
function toJsonSchema(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (typeof schema !== "object" || schema === null) return schema;
  const { nullable, ...rest } = schema as Json;
  const out: Json = {};
  for (const [key, value] of Object.entries(rest))
    out[key] = key === "$ref" && typeof value === "string" && value.startsWith("#/") ? `openapi.json${value}` : toJsonSchema(value);
  return nullable === true ? { anyOf: [out, { type: "null" }] } : out;
}

function validatorFor(c: Contract, key: string, schema: Json): ValidateFunction {
  let validate = c.validators.get(key);
  if (!validate) c.validators.set(key, (validate = c.ajv.compile(toJsonSchema(schema))));
  return validate;
}

/** Throws, naming the operation and what differs, when `response` is not what the document says `method url` answers. */
export async function checkResponse(
  fetchDocument: () => Promise<Response>,
  method: string,
  url: string,
  status: number,
  headers: Headers,
  body: unknown,
  text: string,
) {
  const path = new URL(url, "http://localhost").pathname;
  // A CORS preflight is the browser's protocol, answered for every address, not an operation of the API.
  if (method.toUpperCase() === "OPTIONS" || NOT_API.some(([pattern]) => pattern.test(path))) return;
  const c = await loadContract(fetchDocument);
  const operation = c.operations.find((o) => o.method === method.toUpperCase() && o.pattern.test(path));
  const where = `${method} ${path} → ${status}`;
  // An address or method the API does not have: the router's 404 (or 405) in the error shape.
  const responses: Json = operation?.spec.responses ?? { 404: { content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } } };
  const documented = responses[String(status)] ?? responses.default;
  if (!documented)
    throw new Error(
      `contract: ${where} is not documented for ${operation ? `${operation.method} ${operation.path}` : "an unknown address"} (documented: ${Object.keys(responses).join(", ")}). Body: ${text.slice(0, 300)}`,
    );
  for (const [name, header] of Object.entries((documented.headers ?? {}) as Json)) {
    const value = headers.get(name);
    if (value === null) {
      if (header.required) throw new Error(`contract: ${where} lacks the documented header ${name}`);
      continue;
    }
    const parsed = header.schema?.type === "integer" || header.schema?.type === "number" ? Number(value) : value;
    const validate = validatorFor(c, `${operation?.path} ${method} ${status} header ${name}`, header.schema ?? {});
    if (!validate(parsed)) throw new Error(`contract: ${where} header ${name}: ${JSON.stringify(value)} ${c.ajv.errorsText(validate.errors)}`);
  }
  const content = documented.content as Json | undefined;
  if (!content) {
    if (text !== "") throw new Error(`contract: ${where} is documented without a body but has one: ${text.slice(0, 300)}`);
    return;
  }
  const type = (headers.get("content-type") ?? "").split(";")[0]!.trim();
  const media = content[type] ?? content[`${type.split("/")[0]}/*`] ?? content["*/*"];
  if (!media) throw new Error(`contract: ${where} answered ${type || "no content type"}; documented: ${Object.keys(content).join(", ")}`);
  if (type !== "application/json" || !media.schema) return;
  const validate = validatorFor(c, `${operation?.path} ${method} ${status} body`, media.schema);
  if (!validate(body))
    throw new Error(`contract: ${where} body does not match the document: ${c.ajv.errorsText(validate.errors)}. Body: ${text.slice(0, 500)}`);
}
