// Reactions under a message: a chip per emoji with its count (pressed when I reacted; clicking adds or takes back
// mine) and who reacted in a tooltip shown on hover and on focus; and the small emoji picker (a menu).
import { h, uid } from "./dom";
import { menuButton } from "./menu";
import type { Message } from "./types";

const EMOJI: [string, string][] = [
  ["👍", "thumbs up"],
  ["👎", "thumbs down"],
  ["❤️", "heart"],
  ["😂", "laughing"],
  ["😮", "surprised"],
  ["😢", "sad"],
  ["🎉", "party"],
  ["🙏", "thank you"],
  ["👀", "eyes"],
  ["🔥", "fire"],
  ["✅", "done"],
  ["🚀", "rocket"],
];

interface Reacting {
  nameOf(userId: number): string;
  react(m: Message, emoji: string, add: boolean): Promise<void>;
}

export function reactionRow(m: Message, actions: Reacting) {
  const picker = menuButton({ class: "add-reaction quiet", "aria-label": "Add reaction" }, "☺", "Reactions", () =>
    EMOJI.map(([emoji, name]) => ({ label: emoji, name: `${name} ${emoji}`, run: () => void actions.react(m, emoji, !mineFor(m, emoji)) })),
  );
  const chips = m.reactions.length
    ? h(
        "div",
        { class: "reactions" },
        ...m.reactions.map((r) => {
          const tip = uid("who");
          const names = r.users.map((id) => actions.nameOf(id));
          return h(
            "span",
            { class: "reaction-wrap" },
            h(
              "button",
              {
                type: "button",
                class: "reaction",
                "aria-pressed": String(r.me),
                "aria-label": `${r.emoji} ${r.count}`,
                "aria-describedby": tip,
                onclick: () => void actions.react(m, r.emoji, !r.me),
              },
              `${r.emoji} ${r.count}`,
            ),
            h("span", { class: "who", role: "tooltip", id: tip }, `${r.emoji} ${names.join(", ")}`),
          );
        }),
      )
    : null;
  return { picker, chips };
}

const mineFor = (m: Message, emoji: string) => m.reactions.some((r) => r.emoji === emoji && r.me);
