// The /ws operations' bodies, made of the REST twins' schemas and compiled once: both answer the same field errors.
import { Type, type TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { t } from "elysia";
import { readBody } from "../conversations/model";
import { editBody, sendBody } from "../messages/model";

const MAX_ID = Number.MAX_SAFE_INTEGER;
// Elysia's t.Integer also takes numeric text (forms, query strings); in a JSON frame an id is a number.
const asJsonInteger = ({ minimum, maximum, error }: TSchema) => Type.Integer({ minimum, maximum, error });
const conversationId = Type.Integer({ minimum: 1, maximum: MAX_ID, error: "Give a conversation id." });

export const sendOperation = TypeCompiler.Compile(
  t.Object({
    conversation_id: conversationId,
    message: editBody.properties.message,
    client_id: sendBody.properties.client_id,
    reply_to: t.Optional(t.Union([Type.Integer({ minimum: 1, maximum: MAX_ID }), t.Null()], { error: "Give the id of the message this one answers." })),
  }),
);
export const readOperation = TypeCompiler.Compile(t.Object({ conversation_id: conversationId, message_id: asJsonInteger(readBody.properties.message_id) }));
export const syncOperation = TypeCompiler.Compile(t.Object({ since: Type.Integer({ minimum: 0, maximum: MAX_ID, error: "Give the last seq you saw." }) }));
