// What routes declare of their answers beyond their schemas (headers, non-JSON bodies), in OpenAPI terms. Kept
// apart from openapi.ts, which builds the document and is loaded only when the document is first asked for.
type Json = Record<string, unknown>;

/** A response schema that also documents headers (the swagger plugin lifts a response schema's own keys onto the response). */
export const withHeaders = <T extends object>(schema: T, headers: Record<string, { description: string; schema: Json }>): T => ({ ...schema, headers });

export const IDEMPOTENT_REPLAY = {
  description: "`true` when a `client_id` seen before returned the message first stored with it (nothing new was stored).",
  schema: { type: "string", enum: ["true"] },
};

const binary = { "application/octet-stream": { schema: { type: "string", format: "binary" } } } as const;
const fileHeaders = {
  ETag: { description: "The file's SHA-256, quoted: send it back as If-None-Match or If-Range.", schema: { type: "string" } },
  "Accept-Ranges": { description: "`bytes`", schema: { type: "string" } },
  "Content-Disposition": { description: "`inline` for images, else `attachment`, with the original name.", schema: { type: "string" } },
} as const;
/** The signed download's answers: the bytes (in the file's own content type), a range of them, or why not. */
export const fileDownloadResponses = {
  200: { description: "The whole file, in its own content type.", headers: fileHeaders, content: { "*/*": binary["application/octet-stream"] } },
  206: {
    description: "The requested range (one range per request).",
    headers: { ...fileHeaders, "Content-Range": { description: "`bytes start-end/size`", required: true, schema: { type: "string" } } },
    content: { "*/*": binary["application/octet-stream"] },
  },
  304: { description: "Not modified: If-None-Match named the current ETag.", headers: fileHeaders },
  404: { description: "No such file, or the link's signature or expiry is not valid." },
  410: { description: "The file expired." },
  416: {
    description: "The range cannot be satisfied (or names several ranges).",
    headers: { "Content-Range": { description: "`bytes */size`", required: true, schema: { type: "string" } } },
  },
} as const;
