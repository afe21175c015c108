// API documentation: the OpenAPI document lists every account route, and the Swagger UI page works offline.
import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, test } from "bun:test";
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

  test("names the API's shapes (the titles a client generator turns into types)", () => {
    const schema = (path: string, method: string, status = "200") => doc.paths[path][method].responses[status].content["application/json"].schema;
    expect(schema("/api/messages/{conversation_id}/send/", "post", "201").title).toBe("Message");
    expect(schema("/api/groups/create/", "post", "201").title).toBe("Group");
    expect(schema("/api/conversations/", "get").items.title).toBe("Conversation");
    expect(schema("/api/conversations/{conversation_id}/read/", "post").title).toBe("ReadState");
    expect(schema("/api/messages/files/{file_id}/", "get").title).toBe("FileInfo");
    expect(schema("/api/search/", "get").properties.results.items.title).toBe("SearchResult");
    expect(schema("/api/{user_id}/", "get").title).toBe("User");
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
