// Multipart bodies cost far more to parse than their size suggests (25 MiB of tiny parts held the event loop for
// ~200 ms and took 60 MiB), so they are read only on the routes that take files, only once the caller's token has
// checked out, and only up to a few parts. Everywhere else a multipart body is refused before a byte of it is read.
import { Elysia } from "elysia";
import type { AppContext } from "../../context";
import { AppError, badRequest } from "../../lib/errors";
import { authenticate } from "../auth/service";

/** The most parts a file route takes: its fields and the file, with room to spare. */
export const MAX_MULTIPART_PARTS = 16;

/** Keys that would reach an object's prototype instead of becoming a field. */
const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

const boundaryOf = (contentType: string) => /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)?.slice(1).find(Boolean);

/** How many parts the body holds, counted by their delimiters up to one past `most`. */
function countParts(body: Buffer, boundary: string, most: number): number {
  const delimiter = Buffer.from(`--${boundary}`);
  let delimiters = 0;
  for (let at = body.indexOf(delimiter); at !== -1 && delimiters <= most + 1; at = body.indexOf(delimiter, at + delimiter.length)) delimiters++;
  return delimiters - 1; // the last delimiter closes the body
}

/** The fields of a form: a name given once is its value, a name repeated is the list of its values. */
function formFields(form: FormData): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const name of new Set(form.keys())) {
    if (UNSAFE_KEYS.has(name)) continue;
    const values = form.getAll(name);
    fields[name] = values.length === 1 ? values[0] : values;
  }
  return fields;
}

/**
 * Reads multipart bodies for `fileRoutes` only ("METHOD /route/:template/"), after authenticating the caller: other
 * routes answer 415, a missing or bad token 401, too many parts 400 — each before the body is parsed.
 */
export function multipartUploads(ctx: AppContext, fileRoutes: readonly string[]) {
  const routes = new Set(fileRoutes);
  return new Elysia({ name: "parley-multipart" }).onParse({ as: "global" }, async ({ request, route }, contentType) => {
    if (contentType !== "multipart/form-data") return;
    if (!routes.has(`${request.method} ${route}`)) {
      throw new AppError(415, "unsupported_media_type", "This endpoint takes no files: send JSON or a form-encoded body.");
    }
    await authenticate(ctx, request.headers.get("authorization"));
    const type = request.headers.get("content-type")!;
    const boundary = boundaryOf(type) ?? badRequest("The multipart body has no boundary.");
    const body = Buffer.from(await request.arrayBuffer());
    if (countParts(body, boundary, MAX_MULTIPART_PARTS) > MAX_MULTIPART_PARTS) badRequest(`A multipart body may have at most ${MAX_MULTIPART_PARTS} parts.`);
    return formFields(await new Response(body, { headers: { "content-type": type } }).formData());
  });
}
