// CORS only for configured origins; security headers on every answer.
import { describe, expect, test } from "bun:test";
import { makeApp } from "../helpers";

describe("CORS", async () => {
  const { api } = await makeApp({ corsOrigins: ["https://chat.example.com"] });
  const { api: closed } = await makeApp();

  test("an allowed origin gets its preflight and its answers marked; any other origin gets nothing", async () => {
    const preflight = await api("OPTIONS", "/api/login/", { headers: { origin: "https://chat.example.com", "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://chat.example.com");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(preflight.headers.get("vary")).toBe("Origin");
    const get = await api("GET", "/healthz", { headers: { origin: "https://chat.example.com" } });
    expect(get.headers.get("access-control-allow-origin")).toBe("https://chat.example.com");
    for (const origin of ["https://evil.example.com", "http://localhost:5173", "null"]) {
      const other = await api("GET", "/healthz", { headers: { origin } });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
      const otherPreflight = await api("OPTIONS", "/api/login/", { headers: { origin, "access-control-request-method": "POST" } });
      expect(otherPreflight.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  test("with no PARLEY_CORS_ORIGINS no origin is allowed", async () => {
    const answer = await closed("GET", "/healthz", { headers: { origin: "https://chat.example.com" } });
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("security headers on every answer, errors included", async () => {
    for (const [method, path] of [
      ["GET", "/healthz"],
      ["GET", "/nope"],
      ["GET", "/api/users/protected/"],
      ["POST", "/api/login/"],
    ] as const) {
      const answer = await closed(method, path, method === "POST" ? { body: {} } : {});
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
      expect(answer.headers.get("x-frame-options")).toBe("DENY");
      expect(answer.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });
});
