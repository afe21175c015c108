// Attachments: their metadata for members, their bytes behind a signed URL, and the expiry sweep.
import type { AppContext } from "../../context";
import { gone, notFound } from "../../lib/errors";
import type { AuthUser } from "../auth/service";
import { requireMember } from "../conversations/membership";
import * as repo from "./repository";
import { INLINE_IMAGE_TYPES } from "../../lib/inline-images";
import type { FileInfo } from "./model";

const isExpired = (file: { expires_at: number | null; deleted_at: number | null }, now: number) =>
  file.deleted_at !== null || (file.expires_at !== null && file.expires_at <= now);

/** The attachment of message `messageId` (the original's "file id"), for members of its conversation only. */
export async function fileInfo(ctx: AppContext, user: AuthUser, messageId: number): Promise<FileInfo> {
  const row = await repo.findAttachment(ctx.reader, messageId);
  if (!row) notFound("File not found.");
  await requireMember(ctx, row.conversation_id, user.id);
  const now = Date.now();
  if (isExpired(row, now)) gone("File has expired.");
  return {
    file_url: ctx.fileUrls.sign(row.id, now),
    name: row.original_name,
    size: Number(row.size),
    content_type: row.content_type,
    expires_at: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
  };
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` → an inclusive range within `size`; null when unsatisfiable or multi-range. */
function parseRange(header: string, size: number): { start: number; end: number } | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return null;
  let start: number;
  let end: number;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return null;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  return start <= end && start < size ? { start, end } : null;
}

/** The bytes of a file for a request carrying a valid signature: with ETag, Range and safe content headers. */
export async function download(
  ctx: AppContext,
  fileId: number,
  expires: string | undefined,
  signature: string | undefined,
  headers: Headers,
): Promise<Response> {
  if (!ctx.fileUrls.verify(fileId, expires, signature)) notFound("File not found or link expired.");
  const file = await repo.findFile(ctx.reader, fileId);
  if (!file) notFound("File not found.");
  if (isExpired(file, Date.now())) gone("File has expired.");
  const inline = INLINE_IMAGE_TYPES.has(file.content_type);
  const etag = `"${file.sha256}"`;
  const size = Number(file.size);
  const common: Record<string, string> = {
    "content-type": file.content_type,
    etag,
    "accept-ranges": "bytes",
    "cache-control": "private, max-age=300",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; sandbox",
    "content-disposition": `${inline ? "inline" : "attachment"}; filename*=UTF-8''${encodeURIComponent(file.original_name)}`,
  };
  if (headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers: common });
  const body = ctx.uploads.read(file.storage_name);
  const rangeHeader = headers.get("range");
  const ifRange = headers.get("if-range");
  if (rangeHeader && (!ifRange || ifRange === etag)) {
    const range = parseRange(rangeHeader, size);
    if (!range) return new Response(null, { status: 416, headers: { ...common, "content-range": `bytes */${size}` } });
    return new Response(body.slice(range.start, range.end + 1), {
      status: 206,
      headers: { ...common, "content-range": `bytes ${range.start}-${range.end}/${size}`, "content-length": String(range.end - range.start + 1) },
    });
  }
  return new Response(body, { headers: { ...common, "content-length": String(size) } });
}

/** Deletes the bytes of expired files and marks their rows; returns how many were swept. */
export async function sweepExpiredFiles(ctx: AppContext, now = Date.now()): Promise<number> {
  const expired = await repo.listExpired(ctx.db, now, 1000);
  for (const file of expired) {
    await ctx.uploads.remove(file.storage_name);
    await repo.markDeleted(ctx.db, file.id, now);
  }
  if (expired.length) {
    ctx.newestPages.clear(); // cached pages still show those files as available
    ctx.conversationLists.clear();
  }
  return expired.length;
}
