// Where uploaded bytes live, behind one interface: on local disk under <data dir>/uploads/ with server-made names
// (several nodes share that folder: NFS or any shared mount). The rows live in `files`. Another store (an
// S3-compatible bucket) implements UploadStore and nothing else changes.
import { randomUUIDv7 } from "bun";
import { open, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { DiskSpace } from "../../lib/disk-space";
import { INLINE_IMAGE_TYPES } from "../../lib/inline-images";
import { makePrivateDir } from "../../lib/private-files";

export interface StoredUpload {
  storage_name: string;
  original_name: string;
  content_type: string;
  size: number;
  sha256: string;
}

/** The image type the bytes really are (by their magic numbers), if one of the inline-safe ones. */
function sniffImage(head: Uint8Array): string | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && head[8] === 0x57 && head[9] === 0x45 && head[10] === 0x42 && head[11] === 0x50) return "image/webp";
  return null;
}

/** A display name from the client's file name: no directories, no control characters, bounded length. */
function cleanFileName(name: string | undefined): string {
  const base = (name ?? "").split(/[\\/]/).pop() ?? "";
  const cleaned = base
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes from a file name
    .replace(/[\u0000-\u001f\u007f"]/g, "")
    .trim()
    .slice(0, 255);
  return cleaned && cleaned !== "." && cleaned !== ".." ? cleaned : "file";
}

/** The stored content type: sniffed for images (a claimed image/png must be one), the client's claim otherwise. */
function contentTypeFor(claimed: string, head: Uint8Array): string {
  const sniffed = sniffImage(head);
  if (sniffed) return sniffed;
  const type = claimed.split(";")[0]!.trim().toLowerCase();
  if (!/^[a-z0-9][\w.+-]*\/[\w.+-]+$/.test(type) || INLINE_IMAGE_TYPES.has(type)) return "application/octet-stream";
  return type;
}

export interface UploadStore {
  /** Stores the bytes durably under a new name (they survive a crash once this resolves) and describes them. */
  save(upload: Blob & { name?: string }): Promise<StoredUpload>;
  /** The stored bytes, sliceable for Range requests. */
  read(storageName: string): Blob;
  /** Removes the bytes; a name that is already gone is no error. */
  remove(storageName: string): Promise<void>;
  /** The stored names last written before `before` (epoch ms): candidates for the orphan sweep. */
  storedBefore(before: number): Promise<string[]>;
}

/** Where a data dir keeps its uploads. */
export const uploadsDir = (dataDir: string) => join(dataDir, "uploads");

/** Uploads on local disk (or a mount every node shares). */
export class FileStorage implements UploadStore {
  constructor(
    readonly dir: string,
    private readonly diskSpace: DiskSpace,
  ) {
    makePrivateDir(dir);
  }

  pathOf(storageName: string): string {
    return join(this.dir, storageName);
  }

  /** Streams the upload to a new file while hashing it, and fsyncs it before returning; on failure no file is left. */
  async save(upload: Blob & { name?: string }): Promise<StoredUpload> {
    const storage_name = randomUUIDv7();
    const path = this.pathOf(storage_name);
    const hasher = new Bun.CryptoHasher("sha256");
    let size = 0;
    let head = new Uint8Array(0);
    try {
      const handle = await open(path, "wx", 0o600);
      try {
        for await (const chunk of upload.stream() as unknown as AsyncIterable<Uint8Array>) {
          if (head.length < 16) head = Uint8Array.from([...head, ...chunk.subarray(0, 16 - head.length)]);
          hasher.update(chunk);
          let written = 0;
          while (written < chunk.length) written += (await handle.write(chunk, written)).bytesWritten;
          size += chunk.length;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.syncDir(); // the new directory entry must survive a crash too
    } catch (error) {
      await this.remove(storage_name); // a partial file (a full disk mid-write) is no one's
      throw this.diskSpace.refusal(error);
    }
    this.diskSpace.wrote();
    return { storage_name, original_name: cleanFileName(upload.name), content_type: contentTypeFor(upload.type, head), size, sha256: hasher.digest("hex") };
  }

  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  read(storageName: string): Blob {
    return Bun.file(this.pathOf(storageName));
  }

  async remove(storageName: string): Promise<void> {
    await rm(this.pathOf(storageName), { force: true });
  }

  async storedBefore(before: number): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const old: string[] = [];
    for (const name of names) {
      const info = await stat(this.pathOf(name)).catch(() => null);
      if (info?.isFile() && info.mtimeMs < before) old.push(name);
    }
    return old;
  }
}
