// Emoji reactions: one per user per emoji; counts and "did I react" travel with the message.
import type { AppContext } from "../../context";
import { invalidField } from "../../lib/errors";
import type { AuthUser } from "../auth/service";
import { requireMember } from "../conversations/membership";
import { commitWithEvents } from "../../core/commit";
import * as repo from "./repository";
import type { reactionsAnswer } from "./model";
import { messageForChange } from "./service";
import { parseReactions, reactionViews } from "./view";

/** Distinct emoji a message may collect: enough for any conversation, too few to bloat a row. */
const MAX_DISTINCT = 50;
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
/** A pictograph with an optional presentation selector or skin tone. */
const PICTOGRAPH = String.raw`\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?`;
/** A whole emoji: a keycap, a flag (two regional indicators), or pictographs joined by ZWJ (with tag sequences). */
const EMOJI = new RegExp(
  String.raw`^(?:[0-9#*]\uFE0F?\u20E3|\p{Regional_Indicator}{2}|${PICTOGRAPH}(?:[\u{E0020}-\u{E007E}]+\u{E007F})?(?:\u200D${PICTOGRAPH})*)$`,
  "u",
);

/** One emoji: a single grapheme built as an emoji is (👍, 👍🏽, 🇫🇷, 1️⃣, 👩‍💻 included; "a⃣" or 👍 with accents not). */
function checkEmoji(text: string): string {
  const emoji = text.trim();
  const count = [...graphemes.segment(emoji)].length;
  if (count !== 1 || !EMOJI.test(emoji)) invalidField("emoji", "Give one emoji, e.g. 👍.");
  return emoji;
}

/** `changed`: false when nothing changed (already reacted, or no such reaction to remove). */
export type ReactionsAnswer = typeof reactionsAnswer.static & { changed: boolean };

/** Adds (`add`) or removes the caller's reaction; members get `reaction.added` / `reaction.removed`. */
export async function setReaction(
  ctx: AppContext,
  user: AuthUser,
  conversationId: number,
  messageId: number,
  emojiText: string,
  add: boolean,
): Promise<ReactionsAnswer> {
  const emoji = checkEmoji(emojiText);
  const conversation = await requireMember(ctx, conversationId, user.id);
  return commitWithEvents(ctx, async (tx, emit) => {
    const message = await messageForChange(tx.db, conversation.id, messageId);
    const reactions = parseReactions(message.reactions);
    const users = reactions[emoji] ?? [];
    const present = users.includes(user.id);
    if (present === add) return { message_id: messageId, reactions: reactionViews(reactions, user.id), changed: false };
    if (add) {
      if (!reactions[emoji] && Object.keys(reactions).length >= MAX_DISTINCT)
        invalidField("emoji", `A message takes at most ${MAX_DISTINCT} different reactions.`);
      reactions[emoji] = [...users, user.id];
    } else if (users.length === 1) delete reactions[emoji];
    else reactions[emoji] = users.filter((id) => id !== user.id);
    const stored = Object.keys(reactions).length ? JSON.stringify(reactions) : null;
    await repo.updateMessage(tx.db, messageId, { reactions: stored });
    const count = reactions[emoji]?.length ?? 0;
    await emit({
      type: add ? "reaction.added" : "reaction.removed",
      conversation_id: conversation.id,
      message_id: messageId,
      data: { message_id: messageId, emoji, user_id: user.id, count },
    });
    return { message_id: messageId, reactions: reactionViews(reactions, user.id), changed: true };
  });
}
