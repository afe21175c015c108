import { Elysia, t } from "elysia";
import type { AppContext } from "../../context";
import { errorResponses } from "../../lib/errors";
import { pathId } from "../../lib/schemas";
import { fileDownloadResponses } from "../docs/responses";
import { requireUser } from "../auth/plugin";
import { FileInfo } from "./model";
import * as files from "./service";

export const fileRoutes = (ctx: AppContext) =>
  new Elysia({ tags: ["Files"] })
    .get(
      "/api/files/:file_id/download/",
      ({ params, query, request }) => files.download(ctx, params.file_id, query.expires, query.signature, request.headers),
      {
        params: t.Object({ file_id: pathId("A file id") }),
        query: t.Object({ expires: t.Optional(t.String()), signature: t.Optional(t.String()) }),
        headers: t.Object({
          range: t.Optional(t.String({ description: "`bytes=start-end`, `bytes=start-` or `bytes=-suffix`: answered 206 (416 when unsatisfiable)." })),
          "if-range": t.Optional(t.String({ description: "An ETag: the range is answered only while the file still has it." })),
          "if-none-match": t.Optional(t.String({ description: "An ETag: 304 while the file still has it." })),
        }),
        detail: {
          responses: fileDownloadResponses,
          summary: "Download a file's bytes (signed URL)",
          description:
            "The URL comes from a message's `file` or from /api/messages/files/{id}/; it needs no Authorization header and expires. Supports Range and ETag.",
        },
      },
    )
    .use(requireUser(ctx))
    .get("/api/messages/files/:file_id/", ({ user, params }) => files.fileInfo(ctx, user, params.file_id), {
      params: t.Object({ file_id: pathId("The id of the message carrying the file") }),
      response: { 200: FileInfo, ...errorResponses(403, 410) },
      detail: {
        summary: "A message's attachment",
        description: "`file_id` is the id of the message carrying the file (as in the original). Members only; 410 once the file expired.",
        security: [{ bearerAuth: [] }],
      },
    });
