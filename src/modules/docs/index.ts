// OpenAPI: the JSON document from @elysiajs/swagger, and a Swagger UI page whose scripts and styles
// are embedded in the binary, so the docs work on a machine with no internet.
import { swagger } from "@elysiajs/swagger";
import { Elysia } from "elysia";
import uiBundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import uiCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import { version } from "../../../package.json";

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

export const docsRoutes = () =>
  new Elysia()
    .use(
      swagger({
        // The plugin's own page loads its scripts from a CDN; ours (below) is served at /swagger instead.
        path: "/swagger/cdn",
        specPath: "/swagger/json",
        exclude: ["/swagger", "/swagger/cdn", "/swagger/json", "/api-listing/", "/api-documentation/", /^\/swagger\/assets\//],
        documentation: {
          info: { title: "Parley API", version, description: "A real-time chat server: REST, WebSockets and files, in one executable." },
          components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
        },
      }),
    )
    .get("/swagger", () => new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }), { detail: { hide: true } })
    .get("/swagger/assets/swagger-ui-bundle.js", asset(uiBundle, "text/javascript; charset=utf-8"), { detail: { hide: true } })
    .get("/swagger/assets/swagger-ui.css", asset(uiCss, "text/css; charset=utf-8"), { detail: { hide: true } })
    .get("/swagger/assets/init.js", () => new Response(init, { headers: { "content-type": "text/javascript; charset=utf-8" } }), { detail: { hide: true } })
    .get("/api-listing/", ({ redirect }) => redirect("/swagger/json"), { detail: { hide: true } })
    .get("/api-documentation/", ({ redirect }) => redirect("/swagger"), { detail: { hide: true } });
