// The routes' TypeBox schemas are JSON Schema; an OpenAPI 3.0 document allows only a subset of it. These turn what
// @elysiajs/swagger's path builder produces into what OpenAPI 3.0 validators and client generators accept.
import { STATUS_CODES } from "node:http";
import { filterPaths, registerSchemaPath } from "@elysiajs/swagger/utils";
import { version } from "../../../package.json";
import { ErrorBody, FieldErrors } from "../../lib/errors";

type Json = Record<string, unknown>;

/** The Schema Object's keywords in OpenAPI 3.0.3 (anything else, e.g. Elysia's `error` message, is dropped). */
const SCHEMA_KEYWORDS = new Set([
  "$ref",
  "title",
  "multipleOf",
  "maximum",
  "exclusiveMaximum",
  "minimum",
  "exclusiveMinimum",
  "maxLength",
  "minLength",
  "pattern",
  "maxItems",
  "minItems",
  "uniqueItems",
  "maxProperties",
  "minProperties",
  "required",
  "enum",
  "type",
  "allOf",
  "oneOf",
  "anyOf",
  "not",
  "items",
  "properties",
  "additionalProperties",
  "description",
  "format",
  "default",
  "nullable",
  "discriminator",
  "readOnly",
  "writeOnly",
  "example",
  "deprecated",
]);

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** A JSON Schema as an OpenAPI 3.0 Schema Object: `const` as `enum`, `null` alternatives as `nullable`, tuples as arrays. */
export function toOpenApiSchema(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    // Elysia adds `additionalProperties: false` to a schema when it first compiles the route using it: leave it out, or the document would depend on which routes have run.
    if (value === undefined || (key === "additionalProperties" && value === false)) continue;
    if (key === "const") out.enum = [value];
    else if (key === "properties" && isObject(value)) out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, toOpenApiSchema(s)]));
    else if (key === "items" && Array.isArray(value)) Object.assign(out, tupleAsArray(value));
    else if ((key === "items" || key === "not" || key === "additionalProperties") && isObject(value)) out[key] = toOpenApiSchema(value);
    else if (key === "anyOf" || key === "oneOf" || key === "allOf") out[key] = (value as unknown[]).map(toOpenApiSchema);
    else if (key === "patternProperties" && isObject(value)) out.additionalProperties = toOpenApiSchema(Object.values(value)[0]);
    else if (SCHEMA_KEYWORDS.has(key) || key.startsWith("x-")) out[key] = value;
  }
  // Elysia's t.Integer/t.Boolean are "an integer, or text that reads as one" (it coerces query and form values): the API speaks the type.
  const numeric = (out.anyOf as Json[] | undefined)?.find((s) => s.type === "integer" || s.type === "number" || s.type === "boolean");
  if (numeric && (out.anyOf as Json[]).every((s) => s === numeric || (s.type === "string" && ["integer", "numeric", "boolean"].includes(s.format as string)))) {
    delete out.anyOf;
    Object.assign(out, { ...numeric, ...out });
  }
  // A union of literals (t.UnionEnum, t.Union of t.Literal): one enum, which generators turn into a string union.
  const literals = out.anyOf as Json[] | undefined;
  if (literals?.every((s) => Array.isArray(s.enum) && s.type === literals[0]!.type && Object.keys(s).every((k) => k === "enum" || k === "type"))) {
    delete out.anyOf;
    Object.assign(out, { type: literals[0]!.type, enum: literals.flatMap((s) => s.enum as unknown[]) });
  }
  // An upload: an opaque schema marked binary is a file part.
  if (out.format === "binary") out.type = "string";
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

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorContent = (schema: Json) => ({ "application/json": { schema } });
/** The answers every error status has: the error shape, and the headers that go with 401, 429 and 503. */
const ERROR_HEADERS: Record<string, Json> = {
  "401": { "WWW-Authenticate": { description: '`Bearer realm="api"` (`realm="metrics"` on /metrics)', schema: { type: "string" } } },
  "429": { "Retry-After": { description: "Whole seconds to wait before trying again.", required: true, schema: { type: "integer", minimum: 1 } } },
  "503": {
    "Retry-After": {
      description: "Whole seconds to wait before trying again (`database_unavailable`: the database is away for a moment).",
      required: true,
      schema: { type: "integer", minimum: 1 },
    },
  },
};

/**
 * The error answers an operation gets from its shape, as onError (src/lib/http.ts) and the plugins before it give them:
 * a body or query → 400 (field errors, or a malformed body); a body → 413 (too large) and 415 (multipart where no file
 * is taken); a path id → 404 (it names nothing, or the caller may not see it); a Bearer token → 401, and 403 when it is an
 * API token without the route's scope (auth/scopes.ts); a write (any method but GET) → 507 while the data disk is full
 * (src/lib/disk-space.ts); any → 431 (Bun's, for a URL or headers too large), 503 `database_unavailable` while the
 * database cannot be reached (src/lib/database-outage.ts) and 500.
 */
function shapeErrors(op: Json, method: string): string[] {
  const parameters = (op.parameters as Json[] | undefined) ?? [];
  const statuses: string[] = [];
  // A text path parameter can be a malformed %-escape (400); an id that is not a number names nothing (404).
  if (op.requestBody || parameters.some((p) => p.in === "query" || (p.in === "path" && (p.schema as Json)?.type !== "integer"))) statuses.push("400");
  if (op.security) statuses.push("401", "403");
  if (parameters.some((p) => p.in === "path")) statuses.push("404");
  if (op.requestBody) statuses.push("413", "415");
  statuses.push("431", "500", "503");
  if (method !== "get" && method !== "head") statuses.push("507");
  return statuses;
}

function errorResponse(status: string, declared?: Json): Json {
  const schema = status === "400" ? { oneOf: [ref("FieldErrors"), ref("Error")] } : ref("Error");
  const headers = { ...ERROR_HEADERS[status], ...(declared?.headers as Json | undefined) };
  // Bun refuses a body over its socket limit (no Content-Length declared) before the app sees it: 413 with no body;
  // and a request line or headers over its limit (a URL of some 16 KiB) the same way, with 431.
  const noBody = { "*/*": { schema: { type: "string", maxLength: 0 } } };
  const content = status === "413" ? { ...errorContent(schema), ...noBody } : status === "431" ? noBody : errorContent(schema);
  return {
    description: (declared?.description as string | undefined) ?? STATUS_CODES[Number(status)] ?? "Error",
    ...(Object.keys(headers).length && { headers }),
    content,
  };
}

/** Every operation's parameters, bodies and responses in OpenAPI 3.0 terms; a response without a description gets its status's name. */
export function toOpenApiPaths(paths: Record<string, Record<string, Json>>): Record<string, Record<string, Json>> {
  const content = (media: unknown) =>
    isObject(media)
      ? Object.fromEntries(
          Object.entries(media).map(([type, m]) => [
            type,
            Object.fromEntries(
              Object.entries(m as Json)
                .filter(([k]) => MEDIA_TYPE_FIELDS.includes(k))
                .map(([k, v]) => [k, k === "schema" ? toOpenApiSchema(v) : v]),
            ),
          ]),
        )
      : media;
  const operation = (op: Json, method: string): Json => {
    const out: Json = { ...op };
    if (Array.isArray(op.parameters)) out.parameters = op.parameters.map((p: Json) => ({ ...p, schema: toOpenApiSchema(p.schema) }));
    if (isObject(op.requestBody)) out.requestBody = { ...op.requestBody, content: requestContent(content(op.requestBody.content) as Json) };
    if (isObject(op.responses)) {
      out.responses = Object.fromEntries(
        Object.entries(op.responses).map(([status, response]) => {
          // errorResponses(…) in a route, or an error status written in detail.responses without its own content.
          if (Number(status) >= 400 && ((response as Json).title === "Error" || !(response as Json).content))
            return [status, errorResponse(status, response as Json)];
          const kept = Object.fromEntries(Object.entries(response as Json).filter(([k]) => RESPONSE_FIELDS.includes(k)));
          // The plugin lists every request type for responses too, each with the JSON one's schema; answers are JSON
          // (unless detail.responses names other types itself, as the Slack-compatible /hooks does).
          if (isObject(kept.content)) {
            const json = kept.content["application/json"] as Json | undefined;
            const copies = json && Object.values(kept.content).every((media) => JSON.stringify((media as Json).schema) === JSON.stringify(json.schema));
            kept.content = content(copies ? { "application/json": json } : kept.content);
          }
          // The swagger plugin lifts a response schema's own keywords (its title: Message, Group…) onto the response.
          const title = (response as Json).title;
          if (typeof title === "string" && isObject(kept.content))
            for (const media of Object.values(kept.content)) if (isObject(media) && isObject(media.schema)) media.schema.title ??= title;
          // t.Void(): an answer without a body (204).
          if (isObject(kept.content) && Object.values(kept.content).every((media) => isObject(media) && isObject(media.schema) && media.schema.type === "void"))
            delete kept.content;
          kept.description ??= STATUS_CODES[Number(status)] ?? "Response";
          return [status, kept];
        }),
      );
      for (const status of shapeErrors(out, method)) (out.responses as Json)[status] ??= errorResponse(status);
    }
    return out;
  };
  return Object.fromEntries(
    Object.entries(paths).map(([path, item]) => [
      path,
      Object.fromEntries(Object.entries(item).map(([method, op]) => [method, isObject(op) ? operation(op, method) : op])),
    ]),
  );
}

/** JSON, a form, or (where a file is taken) multipart: a file part belongs to multipart bodies only. */
function requestContent(media: Json): Json {
  const withoutFiles = (schema: unknown): unknown => {
    if (!isObject(schema) || !isObject(schema.properties)) return schema;
    const properties = Object.fromEntries(Object.entries(schema.properties).filter(([, s]) => !(isObject(s) && s.format === "binary")));
    return { ...schema, properties };
  };
  const hasFile = Object.values(media).some(
    (m) =>
      isObject(m) &&
      isObject(m.schema) &&
      isObject(m.schema.properties) &&
      Object.values(m.schema.properties).some((s) => isObject(s) && s.format === "binary"),
  );
  const json = media["application/json"] as Json | undefined;
  if (!json) return media;
  const fields = { ...json, schema: withoutFiles(json.schema) };
  return {
    "application/json": fields,
    "application/x-www-form-urlencoded": fields,
    ...(hasFile && { "multipart/form-data": media["multipart/form-data"] ?? json }),
  };
}

/** JSON with sorted keys: the same schema, whatever order its keywords were written in. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v) => (isObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));

/**
 * Each titled schema (Message, Group, Error…: declared once, in a model.ts or errors.ts) becomes one entry of
 * components.schemas and a $ref wherever it is used, so generators make one named type of it.
 */
export function liftNamedSchemas(paths: Json): { paths: Json; schemas: Record<string, Json> } {
  const schemas: Record<string, Json> = {
    Error: toOpenApiSchema(ErrorBody) as Json,
    FieldErrors: toOpenApiSchema(FieldErrors) as Json,
  };
  const seen = new Map<string, string>();
  const lift = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(lift);
    if (!isObject(node)) return node;
    const out = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, lift(value)]));
    const title = out.title;
    if (typeof title !== "string" || out.type !== "object") return out;
    // A use may add its own description or allow null; the shape itself must be the same everywhere.
    const { description, nullable, ...shape } = out;
    const text = canonical(shape);
    const known = seen.get(title);
    if (known === undefined) {
      seen.set(title, text);
      schemas[title] ??= shape;
    } else if (known !== text) throw new Error(`Two different schemas are titled ${title}: give them different titles.\n${known}\n${text}`);
    const use = { ...(description !== undefined && { description }), ...(nullable === true && { nullable }) };
    return Object.keys(use).length ? { allOf: [ref(title)], ...use } : ref(title);
  };
  const lifted = lift(paths) as Json;
  return { paths: lifted, schemas };
}

export interface RouteInfo {
  method: string;
  path: string;
  hooks: { detail?: { hide?: boolean }; type?: string } & Record<string, unknown>;
}

/**
 * The OpenAPI document, built from the routes' TypeBox schemas (with @elysiajs/swagger's own path builder), on
 * first request: loading the whole plugin at start-up cost a tenth of the cold start, and its page pulls its
 * scripts from a CDN.
 */
export function openApiDocument(routes: RouteInfo[]) {
  const schema = {} as Parameters<typeof registerSchemaPath>[0]["schema"];
  for (const route of routes) {
    if (route.hooks?.detail?.hide === true || route.method === "OPTIONS") continue;
    registerSchemaPath({
      schema,
      hook: route.hooks as never,
      method: route.method as never,
      path: route.path,
      models: {},
      contentType: route.hooks.type as never,
    });
  }
  const { paths, schemas } = liftNamedSchemas(toOpenApiPaths(filterPaths(schema, { excludeStaticFile: true, exclude: [] })));
  return {
    openapi: "3.0.3",
    info: {
      title: "Parley API",
      version,
      description:
        "A real-time chat server: REST, WebSockets and files, in one executable. The WebSockets (/ws and /ws/chat/{id}/) are described by an AsyncAPI 3.0 document: [/asyncapi.json](/asyncapi.json).",
    },
    paths,
    components: { schemas, securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
  };
}
