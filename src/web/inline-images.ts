// The server's list (src/lib/inline-images.ts imports nothing, so the bundle stays free of server code).
export { INLINE_IMAGE_TYPES } from "../lib/inline-images";
