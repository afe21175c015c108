// @username mentions: resolved to members when a message is written, stored for the mentions list and unread counts.
import type { Db } from "../../db";
import { usernameKey } from "../users/repository";
import { membersNamed } from "./repository";

// A mention starts a word: "@bob" and "(@bob" count, "mail@bob.org" does not. Usernames may hold . @ + - _.
const MENTION = /(?<![\p{L}\p{N}_.@+-])@([\p{L}\p{N}_.@+-]{1,150})/gu;

/** The usernames written as @mentions, with sentence punctuation ("@bob.", "@bob...") also tried without it. */
function mentionedNames(text: string): string[] {
  if (!text.includes("@")) return []; // most messages: no regular expression run, nothing allocated
  const names = new Set<string>();
  for (const [, name] of text.matchAll(MENTION)) {
    names.add(usernameKey(name!));
    const trimmed = name!.replace(/[.@+-]+$/u, "");
    if (trimmed && trimmed !== name) names.add(usernameKey(trimmed));
  }
  return [...names];
}

/** The members of the conversation that `text` mentions, by id (never the author). */
export function resolveMentions(db: Db, conversationId: number, authorId: number, text: string): Promise<number[]> {
  const names = mentionedNames(text);
  if (names.length === 0) return Promise.resolve([]);
  return membersNamed(db, conversationId, names.slice(0, 100), authorId);
}
