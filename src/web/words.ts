// Failures and session endings as sentences for the user (the client's errors carry the API's own words).
import { ParleyError, type EndReason, type Message } from "../client";

const FIELD_NAMES: Record<string, string> = {
  username: "Username",
  email: "Email",
  password: "Password",
  first_name: "First name",
  last_name: "Last name",
  message: "Message",
  file: "File",
  name: "Group name",
  members: "Members",
  user_id: "User",
};

/** Any failure as a sentence for the user. */
export function messageOf(error: unknown): string {
  if (!(error instanceof ParleyError)) return error instanceof Error ? error.message : "Something went wrong.";
  const { status, fields, detail } = error;
  if (status === 0) return "Cannot reach the server. Check your connection and try again.";
  const named = Object.entries(fields).map(([key, messages]) => (key === "non_field_errors" ? "" : `${FIELD_NAMES[key] ?? key}: `) + messages.join(" "));
  if (named.length) return named.join(" ");
  if (status === 413) return `Too large: ${detail}`;
  if (error.code) return detail;
  if (status === 429) return "Too many requests. Wait a moment and try again.";
  if (status >= 500) return `The server had a problem (${status}). Try again in a moment.`;
  return detail;
}

export const ENDED: Record<EndReason, string> = {
  logout: "You have logged out.",
  expired: "Your session has expired. Please log in again.",
  elsewhere: "You logged out in another window.",
};

/** Who a message is from, as shown: the name an incoming webhook's post asked for, else the sender's username. */
export const senderName = (m: Pick<Message, "sender_display_name" | "sender_username">) => m.sender_display_name ?? m.sender_username;
