// API documentation: the OpenAPI document lists every account route, and the Swagger UI page works offline.
import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, test } from "bun:test";
import { ERROR_CODES } from "../../src/lib/errors";
import { makeApp } from "../helpers";

const { api } = await makeApp();

const ROUTES: [string, string, boolean][] = [
  // path, method, needs a Bearer token
  ["/api/register/", "post", false],
  ["/api/login/", "post", false],
  ["/api/token/", "post", false],
  ["/api/token/refresh/", "post", false],
  ["/api/logout/", "post", true],
  ["/api/users/protected/", "get", true],
  ["/api/ws-ticket/", "post", true],
  ["/api/{user_id}/", "get", true],
  ["/api/{user_id}/update/", "patch", true],
  ["/api/{user_id}/update/", "put", true],
  ["/api/{user_id}/delete/", "delete", true],
  ["/healthz", "get", false],
];

describe("GET /swagger/json", async () => {
  const response = await api("GET", "/swagger/json");
  const doc = response.body;

  test("is an OpenAPI 3 document with the Bearer security scheme", () => {
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe("Parley API");
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
  });

  test("is valid OpenAPI, as a client generator's validator checks it (every response has a description)", async () => {
    let problem = "";
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(doc)).catch((error: Error) => (problem = error.message));
    expect(problem).toBe("");
  });

  test.each(ROUTES)("lists %s %s with the right security", (path, method, secured) => {
    const operation = doc.paths[path]?.[method];
    expect(operation).toBeDefined();
    expect(typeof operation.summary).toBe("string");
    if (secured) expect(operation.security).toEqual([{ bearerAuth: [] }]);
    else expect(operation.security).toBeUndefined();
  });

  test("describes the bodies and the path id", () => {
    const register = doc.paths["/api/register/"].post.requestBody.content["application/json"].schema;
    expect(register.required.sort()).toEqual(["email", "password", "username"]);
    expect(register.properties.password.minLength).toBe(8);
    const put = doc.paths["/api/{user_id}/update/"].put.requestBody.content["application/json"].schema;
    expect(put.required.sort()).toEqual(["email", "first_name", "last_name", "password", "username"]);
    const patch = doc.paths["/api/{user_id}/update/"].patch.requestBody.content["application/json"].schema;
    expect(patch.required ?? []).toEqual([]);
    const param = doc.paths["/api/{user_id}/"].get.parameters.find((p: { name: string }) => p.name === "user_id");
    expect(param).toMatchObject({ in: "path", required: true });
    expect(JSON.stringify(param.schema)).toContain("integer");
  });

  test("names the API's shapes once, under components.schemas, and refers to them with $ref", () => {
    const schema = (path: string, method: string, status = "200") => doc.paths[path][method].responses[status].content["application/json"].schema;
    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    expect(schema("/api/messages/{conversation_id}/send/", "post", "201")).toEqual(ref("Message"));
    expect(schema("/api/groups/create/", "post", "201")).toEqual(ref("Group"));
    expect(schema("/api/conversations/", "get").items).toEqual(ref("Conversation"));
    expect(schema("/api/conversations/{conversation_id}/read/", "post")).toEqual(ref("ReadState"));
    expect(schema("/api/messages/files/{file_id}/", "get")).toEqual(ref("FileInfo"));
    expect(schema("/api/search/", "get").properties.results.items).toEqual(ref("SearchResult"));
    expect(schema("/api/{user_id}/", "get")).toEqual(ref("User"));
    for (const name of [
      "Message",
      "Group",
      "Conversation",
      "User",
      "ReadState",
      "FileInfo",
      "SearchResult",
      "DirectoryEntry",
      "AdminUser",
      "AdminGroup",
      "Error",
      "FieldErrors",
    ]) {
      expect(doc.components.schemas[name]?.title, name).toBe(name);
    }
    // Nothing titled is left inline: each shape is written once.
    expect(JSON.stringify(doc.paths)).not.toContain('"title"');
  });

  test("ids are integers, timestamps date-time, nullable fields nullable", () => {
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"format":"integer"');
    expect(text).not.toContain('"format":"numeric"');
    const message = doc.components.schemas.Message;
    expect(message.properties.id).toEqual({ type: "integer" });
    expect(message.properties.timestamp).toEqual({ type: "string", format: "date-time" });
    expect(message.properties.edited_at).toMatchObject({ type: "string", format: "date-time", nullable: true });
    expect(message.properties.attachment).toEqual({ allOf: [{ $ref: "#/components/schemas/Attachment" }], nullable: true });
    const param = doc.paths["/api/messages/{conversation_id}/"].get.parameters;
    for (const name of ["conversation_id", "page", "before", "after", "limit"])
      expect(param.find((p: { name: string }) => p.name === name).schema.type, name).toBe("integer");
  });

  test("every operation documents its errors in the error shapes, with the stable codes", () => {
    expect(doc.components.schemas.Error.properties.code.enum).toEqual([...ERROR_CODES]);
    expect(doc.components.schemas.Error.required.sort()).toEqual(["code", "detail", "error"]);
    expect(doc.components.schemas.FieldErrors).toMatchObject({ type: "object", additionalProperties: { type: "array", items: { type: "string" } } });
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method} ${path}`;
        expect(op.responses["500"], where).toBeDefined();
        if (op.security) expect(op.responses["401"]?.content["application/json"].schema, where).toEqual({ $ref: "#/components/schemas/Error" });
        if (op.requestBody) {
          expect(op.responses["400"]?.content["application/json"].schema.oneOf, where).toContainEqual({ $ref: "#/components/schemas/FieldErrors" });
          for (const status of ["413", "415"]) expect(op.responses[status], `${where} ${status}`).toBeDefined();
        }
        if (op.parameters?.some((p: { in: string }) => p.in === "path")) expect(op.responses["404"], where).toBeDefined();
        if (op.responses["429"]) expect(op.responses["429"].headers["Retry-After"], where).toMatchObject({ required: true, schema: { type: "integer" } });
      }
    }
    const limited = ["/api/login/", "/api/token/", "/api/token/refresh/", "/api/register/", "/api/messages/{conversation_id}/send/", "/api/search/"];
    for (const path of limited) expect(Object.values<any>(doc.paths[path])[0].responses["429"], path).toBeDefined();
  });

  test("deletes answer 204 without a body; a replayed send says Idempotent-Replay", () => {
    for (const [path, method] of [
      ["/api/{user_id}/delete/", "delete"],
      ["/api/messages/{conversation_id}/{message_id}/", "delete"],
      ["/api/admin/messages/{message_id}/", "delete"],
    ] as const) {
      const responses = doc.paths[path][method].responses;
      expect(responses["204"], path).toEqual({ description: "No Content" });
      expect(responses["200"], path).toBeUndefined();
    }
    expect(doc.paths["/api/messages/{conversation_id}/send/"].post.responses["201"].headers["Idempotent-Replay"].schema).toEqual({
      type: "string",
      enum: ["true"],
    });
  });

  test("send takes JSON, a form, or multipart with the file as binary; every field described", () => {
    const content = doc.paths["/api/messages/{conversation_id}/send/"].post.requestBody.content;
    expect(Object.keys(content).sort()).toEqual(["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]);
    expect(content["multipart/form-data"].schema.properties.file).toMatchObject({ type: "string", format: "binary" });
    expect(content["application/json"].schema.properties.file).toBeUndefined();
    expect(Object.keys(content["application/json"].schema.properties).sort()).toEqual(["client_id", "message", "receiver_group", "receiver_user", "reply_to"]);
    expect(content["application/json"].schema.required ?? []).toEqual([]);
    for (const [name, field] of Object.entries<any>(content["multipart/form-data"].schema.properties)) expect(typeof field.description, name).toBe("string");
    // Routes that take no file say so: no multipart body.
    expect(Object.keys(doc.paths["/api/groups/create/"].post.requestBody.content).sort()).toEqual(["application/json", "application/x-www-form-urlencoded"]);
  });

  test("downloads document Range, 206 with Content-Range, 304 and 416", () => {
    const op = doc.paths["/api/files/{file_id}/download/"].get;
    expect(op.parameters.find((p: { name: string }) => p.name === "range")).toMatchObject({ in: "header", required: false });
    expect(op.responses["206"].headers["Content-Range"].required).toBe(true);
    expect(op.responses["206"].content["*/*"].schema).toEqual({ type: "string", format: "binary" });
    expect(op.responses["416"].headers["Content-Range"].required).toBe(true);
    expect(op.responses["304"]).toBeDefined();
    expect(op.responses["410"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
  });

  test("does not list the docs' own routes", () => {
    for (const path of Object.keys(doc.paths)) expect(path).not.toMatch(/^\/(swagger|api-listing|api-documentation)/);
  });
});

describe("GET /swagger", () => {
  test("is an HTML page whose scripts and styles are all served locally", async () => {
    const response = await api("GET", "/swagger");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = response.body as string;
    expect(html).toContain('id="swagger-ui"');

    const references = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]!);
    expect(references.length).toBeGreaterThanOrEqual(3);
    expect(html).not.toMatch(/(?:src|href)\s*=\s*["'](?:https?:)?\/\//i);
    for (const reference of references) {
      expect(reference).toStartWith("/");
      const asset = await api("GET", reference);
      expect(asset.status, reference).toBe(200);
      expect(asset.headers.get("content-type"), reference).toMatch(reference.endsWith(".css") ? /text\/css/ : /javascript/);
      expect(String(asset.body).length, reference).toBeGreaterThan(0);
    }
    const styles = references.filter((r) => r.endsWith(".css"));
    const scripts = references.filter((r) => r.endsWith(".js"));
    expect(styles.length).toBeGreaterThanOrEqual(1);
    expect(scripts.length).toBeGreaterThanOrEqual(2);
  });

  test("the page's start-up script loads the local OpenAPI document", async () => {
    const html = (await api("GET", "/swagger")).body as string;
    const scripts = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!);
    const bodies = await Promise.all(scripts.map(async (src) => String((await api("GET", src)).body)));
    expect(bodies.some((js) => js.includes('"/swagger/json"'))).toBe(true);
    expect(bodies.some((js) => js.includes("SwaggerUIBundle"))).toBe(true);
  });
});

describe("old documentation addresses redirect", () => {
  test.each([
    ["/api-listing/", "/swagger/json"],
    ["/api-documentation/", "/swagger"],
  ])("%s leads to %s", async (from, to) => {
    const response = await api("GET", from);
    expect(response.status).toBeGreaterThanOrEqual(301);
    expect(response.status).toBeLessThanOrEqual(308);
    expect(response.headers.get("location")).toBe(to);
    expect((await api("GET", to)).status).toBe(200);
  });
});
