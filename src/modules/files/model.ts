import { t } from "elysia";

export const FileInfo = t.Object(
  { file_url: t.String(), name: t.String(), size: t.Integer(), content_type: t.String(), expires_at: t.Nullable(t.String({ format: "date-time" })) },
  { title: "FileInfo" },
);
export type FileInfo = typeof FileInfo.static;
