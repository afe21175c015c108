// The routes' TypeBox schemas are JSON Schema; an OpenAPI 3.0 document allows only a subset of it. These turn what
// @elysiajs/swagger's path builder produces into what OpenAPI 3.0 validators and client generators accept.
import { STATUS_CODES } from "node:http";

type Json = Record<string, unknown>;

/** The Schema Object's keywords in OpenAPI 3.0.3 (anything else, e.g. Elysia's `error` message, is dropped). */
const SCHEMA_KEYWORDS = new Set([
  "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern",
  "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties", "required", "enum", "type", "allOf", "oneOf",
  "anyOf", "not", "items", "properties", "additionalProperties", "description", "format", "default", "nullable",
  "discriminator", "readOnly", "writeOnly", "example", "deprecated",
]);

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** A JSON Schema as an OpenAPI 3.0 Schema Object: `const` as `enum`, `null` alternatives as `nullable`, tuples as arrays. */
export function toOpenApiSchema(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "const") out.enum = [value];
    else if (key === "properties" && isObject(value)) out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, toOpenApiSchema(s)]));
    else if (key === "items" && Array.isArray(value)) Object.assign(out, tupleAsArray(value));
    else if ((key === "items" || key === "not" || key === "additionalProperties") && isObject(value)) out[key] = toOpenApiSchema(value);
    else if (key === "anyOf" || key === "oneOf" || key === "allOf") out[key] = (value as unknown[]).map(toOpenApiSchema);
    else if (SCHEMA_KEYWORDS.has(key) || key.startsWith("x-")) out[key] = value;
  }
  if (Array.isArray(out.type)) {
    const types = (out.type as string[]).filter((type) => type !== "null");
    if (types.length < out.type.length) out.nullable = true;
    if (types.length === 1) out.type = types[0];
    else {
      delete out.type;
      out.anyOf = types.map((type) => ({ type }));
    }
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const alternatives = out[key] as Json[] | undefined;
    if (!alternatives?.some((s) => s.type === "null")) continue;
    const rest = alternatives.filter((s) => s.type !== "null");
    out.nullable = true;
    if (rest.length === 1) {
      delete out[key];
      Object.assign(out, { ...rest[0], ...out });
    } else out[key] = rest;
  }
  return out;
}

/** A tuple (`items` as a list, JSON Schema draft 7): an array of its members' types, of its length. */
function tupleAsArray(items: unknown[]): Json {
  const schemas = items.map(toOpenApiSchema);
  const distinct = [...new Map(schemas.map((s) => [JSON.stringify(s), s])).values()];
  return { items: distinct.length === 1 ? distinct[0] : { anyOf: distinct }, minItems: items.length, maxItems: items.length };
}

const RESPONSE_FIELDS = ["description", "headers", "content", "links"];
const MEDIA_TYPE_FIELDS = ["schema", "example", "examples", "encoding"];

/** Every operation's parameters, bodies and responses in OpenAPI 3.0 terms; a response without a description gets its status's name. */
export function toOpenApiPaths(paths: Record<string, Record<string, Json>>): Record<string, Record<string, Json>> {
  const content = (media: unknown) =>
    isObject(media)
      ? Object.fromEntries(Object.entries(media).map(([type, m]) => [type, Object.fromEntries(Object.entries(m as Json).filter(([k]) => MEDIA_TYPE_FIELDS.includes(k)).map(([k, v]) => [k, k === "schema" ? toOpenApiSchema(v) : v]))]))
      : media;
  const operation = (op: Json): Json => {
    const out: Json = { ...op };
    if (Array.isArray(op.parameters)) out.parameters = op.parameters.map((p: Json) => ({ ...p, schema: toOpenApiSchema(p.schema) }));
    if (isObject(op.requestBody)) out.requestBody = { ...op.requestBody, content: content(op.requestBody.content) };
    if (isObject(op.responses)) {
      out.responses = Object.fromEntries(
        Object.entries(op.responses).map(([status, response]) => {
          const kept = Object.fromEntries(Object.entries(response as Json).filter(([k]) => RESPONSE_FIELDS.includes(k)));
          if (kept.content) kept.content = content(kept.content);
          // The swagger plugin lifts a response schema's own keywords (its title: Message, Group…) onto the response.
          const title = (response as Json).title;
          if (typeof title === "string" && isObject(kept.content)) for (const media of Object.values(kept.content)) if (isObject(media) && isObject(media.schema)) media.schema.title ??= title;
          kept.description ??= STATUS_CODES[Number(status)] ?? "Response";
          return [status, kept];
        }),
      );
    }
    return out;
  };
  return Object.fromEntries(Object.entries(paths).map(([path, item]) => [path, Object.fromEntries(Object.entries(item).map(([method, op]) => [method, isObject(op) ? operation(op) : op]))]));
}
