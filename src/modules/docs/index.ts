// OpenAPI: the JSON document (built with @elysiajs/swagger's path builder), the AsyncAPI document of the sockets, and a Swagger UI page whose
// scripts and styles are embedded in the binary, so the docs work on a machine with no internet.
import { Elysia } from "elysia";
import uiBundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import uiCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import { version } from "../../../package.json";
import { asyncApiDocument } from "./asyncapi";
import { liftNamedSchemas, toOpenApiPaths } from "./openapi";

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>Parley API</title>
  <link rel="stylesheet" href="/swagger/assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/swagger/assets/swagger-ui-bundle.js"></script>
  <script src="/swagger/assets/init.js"></script>
</body>
</html>`;
const init = `window.ui = SwaggerUIBundle({ url: "/swagger/json", dom_id: "#swagger-ui", persistAuthorization: true });`;

const asset = (path: string, type: string) => () =>
  new Response(Bun.file(path), { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });

interface RouteInfo {
  method: string;
  path: string;
  hooks: { detail?: { hide?: boolean }; type?: string } & Record<string, unknown>;
}

/**
 * The OpenAPI document, built from the routes' TypeBox schemas on first request (with @elysiajs/swagger's own
 * path builder) and kept: loading the whole plugin at start-up cost a tenth of the cold start, and its page
 * pulls its scripts from a CDN.
 */
async function openApiDocument(routes: RouteInfo[]) {
  const { registerSchemaPath, filterPaths } = await import("@elysiajs/swagger/utils");
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

/** The docs; `routes` returns the whole app's routes (read when the document is first asked for). */
export const docsRoutes = (routes: () => RouteInfo[]) => {
  let document: Promise<unknown> | undefined;
  let asyncApi: unknown;
  return new Elysia()
    .get("/swagger/json", () => (document ??= openApiDocument(routes())), { detail: { hide: true } })
    .get("/asyncapi.json", () => (asyncApi ??= asyncApiDocument()), { detail: { hide: true } })
    .get("/swagger", () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }), { detail: { hide: true } })
    .get("/swagger/assets/swagger-ui-bundle.js", asset(uiBundle, "text/javascript; charset=utf-8"), { detail: { hide: true } })
    .get("/swagger/assets/swagger-ui.css", asset(uiCss, "text/css; charset=utf-8"), { detail: { hide: true } })
    .get("/swagger/assets/init.js", () => new Response(init, { headers: { "content-type": "text/javascript; charset=utf-8" } }), { detail: { hide: true } })
    .get("/api-listing/", ({ redirect }) => redirect("/swagger/json"), { detail: { hide: true } })
    .get("/api-documentation/", ({ redirect }) => redirect("/swagger"), { detail: { hide: true } });
};
