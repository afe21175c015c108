// The browser's copy of the server's INLINE_IMAGE_TYPES (src/modules/files/storage.ts pulls in Bun and node:fs, so the bundle cannot import it).
export const INLINE_IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
