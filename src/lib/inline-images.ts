// Image types shown inline (server: Content-Disposition; browser: previews). No imports: the web bundle takes it as is.
export const INLINE_IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
