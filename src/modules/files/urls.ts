// Short-lived signed download URLs: a browser's <img src> can fetch a file without an Authorization header,
// and only members are ever handed one. The key is derived from the token secret.
import { createHmac, timingSafeEqual } from "node:crypto";

export interface FileUrls {
  /** A URL for downloading file `fileId`, valid for the configured time from `now`. */
  sign(fileId: number, now?: number): string;
  /** Whether `expires`/`signature` were made by sign() for this file and have not expired. */
  verify(fileId: number, expires: string | undefined, signature: string | undefined, now?: number): boolean;
}

export function createFileUrls(secret: string, ttlMs: number): FileUrls {
  const key = createHmac("sha256", secret).update("parley file urls v1").digest();
  const mac = (fileId: number, expires: number) => createHmac("sha256", key).update(`${fileId}.${expires}`).digest("base64url");
  return {
    sign(fileId, now = Date.now()) {
      // Rounded up to the minute so the same file's URL is stable for a while (browser caches, one frame per message).
      const expires = Math.ceil((now + ttlMs) / 60_000) * 60;
      return `/api/files/${fileId}/download/?expires=${expires}&signature=${mac(fileId, expires)}`;
    },
    verify(fileId, expires, signature, now = Date.now()) {
      if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return false;
      if (Number(expires) * 1000 < now) return false;
      const expected = Buffer.from(mac(fileId, Number(expires)));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
