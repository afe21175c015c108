// OpenAPI: the JSON document (built with @elysiajs/swagger's path builder), the AsyncAPI document of the sockets, and a Swagger UI page whose
// scripts and styles are embedded in the binary, so the docs work on a machine with no internet.
import { Elysia } from "elysia";
import uiBundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import uiCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import type { RouteInfo } from "./openapi";

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

/** The docs; `routes` returns the whole app's routes (read when the document is first asked for). */
export const docsRoutes = (routes: () => RouteInfo[]) => {
  let document: Promise<unknown> | undefined;
  let asyncApi: Promise<unknown> | undefined;
  return new Elysia()
    .get("/swagger/json", () => (document ??= import("./openapi").then(({ openApiDocument }) => openApiDocument(routes()))), { detail: { hide: true } })
    .get("/asyncapi.json", () => (asyncApi ??= import("./asyncapi").then(({ asyncApiDocument }) => asyncApiDocument())), { detail: { hide: true } })
    .get("/swagger", () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }), { detail: { hide: true } })
    .get("/swagger/assets/swagger-ui-bundle.js", asset(uiBundle, "text/javascript; charset=utf-8"), { detail: { hide: true } })
    .get("/swagger/assets/swagger-ui.css", asset(uiCss, "text/css; charset=utf-8"), { detail: { hide: true } })
    .get("/swagger/assets/init.js", () => new Response(init, { headers: { "content-type": "text/javascript; charset=utf-8" } }), { detail: { hide: true } })
    .get("/api-listing/", ({ redirect }) => redirect("/swagger/json"), { detail: { hide: true } })
    .get("/api-documentation/", ({ redirect }) => redirect("/swagger"), { detail: { hide: true } });
};
