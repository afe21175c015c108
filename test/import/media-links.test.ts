// import-django and links in the media dir: a link (or a linked directory) that leads outside --media is skipped
// and reported, and none of its bytes reach the uploads; a link that stays inside is followed.
import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers";
import { copyFixture, editOriginal, runImport } from "./import-helpers";

describe("links in the media dir", async () => {
  const original = copyFixture();
  const outside = tempDir("parley-outside-");
  const SECRET = "root:x:0:0:the bytes that must not be imported";
  writeFileSync(join(outside, "passwd"), `${readFileSync("/etc/passwd", "utf8")}${SECRET}\n`);
  const uploads = join(original.media, "uploads");
  rmSync(join(uploads, "report.txt"));
  symlinkSync(join(outside, "passwd"), join(uploads, "report.txt")); // message 3's file, now a link to outside
  symlinkSync(outside, join(uploads, "linked")); // a directory leading outside
  mkdirSync(join(uploads, "inner"));
  symlinkSync("../logo.png", join(uploads, "inner", "alias.png")); // a link that stays inside
  editOriginal(
    original,
    "INSERT INTO chat_message (id, message, file, timestamp, receiver_group_id, receiver_user_id, sender_id, file_expiry) VALUES (12, 'through a linked dir', 'uploads/linked/passwd', '2025-01-02 10:00:00', NULL, 2, 1, '2030-01-01 00:00:00')",
    "INSERT INTO chat_message (id, message, file, timestamp, receiver_group_id, receiver_user_id, sender_id, file_expiry) VALUES (13, 'an alias inside', 'uploads/inner/alias.png', '2025-01-02 10:01:00', NULL, 2, 1, '2030-01-01 00:00:00')",
  );
  const dataDir = join(tempDir(), "data");
  const result = await runImport("--db", original.db, "--media", original.media, "--data-dir", dataDir);

  test("each link leading outside is skipped and reported; the messages come without their files", () => {
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^ +missing +message 3: uploads\/report\.txt \(a link to outside the media directory, skipped\); the message is imported without it$/m,
    );
    expect(result.stdout).toMatch(/^ +missing +message 12: uploads\/linked\/passwd \(a link to outside the media directory, skipped\)/m);
    expect(result.stdout).toMatch(/^Files +3 of 5 copied/m); // logo.png, old.txt and the alias inside
  });

  test("no byte of what they lead to lands in uploads", () => {
    const stored = readdirSync(join(dataDir, "uploads"));
    expect(stored).toHaveLength(3);
    const logo = readFileSync(join(uploads, "logo.png"));
    for (const name of stored) {
      const bytes = readFileSync(join(dataDir, "uploads", name));
      expect(bytes.includes(SECRET)).toBe(false);
      expect(bytes.includes("root:x:0:0")).toBe(false);
    }
    expect(stored.filter((name) => readFileSync(join(dataDir, "uploads", name)).equals(logo))).toHaveLength(2);
  });
});
