// Bot accounts: made by staff, never log in with a password (the hash can match nothing, and login refuses bots),
// work through API tokens staff make for them, and post through webhooks.
import { randomBytes } from "node:crypto";
import type { AppContext } from "../../context";
import type { UserRow } from "../../db/schema";
import { notFound } from "../../lib/errors";
import type { AuthUser } from "../auth/service";
import { createApiToken, listApiTokens, revokeApiToken, type ApiTokenView, type NewApiToken } from "../auth/api-tokens";
import { createBotAccount } from "../users/service";
import * as repo from "./repository";
import { requireStaff } from "./service";

export async function createBot(ctx: AppContext, staff: AuthUser, input: { username: string; display_name: string }): Promise<UserRow> {
  requireStaff(staff);
  return createBotAccount(ctx, input.username, input.display_name, randomBytes(8).toString("hex"));
}

export function listBots(ctx: AppContext, staff: AuthUser): Promise<UserRow[]> {
  requireStaff(staff);
  return repo.listBots(ctx.reader);
}

async function botOf(ctx: AppContext, staff: AuthUser, botId: number): Promise<UserRow> {
  requireStaff(staff);
  const bot = await repo.findBot(ctx.reader, botId);
  return bot ?? notFound("No such bot.");
}

export async function createBotToken(ctx: AppContext, staff: AuthUser, botId: number, input: NewApiToken) {
  return createApiToken(ctx, staff, await botOf(ctx, staff, botId), input);
}

export async function listBotTokens(ctx: AppContext, staff: AuthUser, botId: number): Promise<ApiTokenView[]> {
  return listApiTokens(ctx, (await botOf(ctx, staff, botId)).id);
}

export async function revokeBotToken(ctx: AppContext, staff: AuthUser, botId: number, tokenId: number): Promise<void> {
  await revokeApiToken(ctx, (await botOf(ctx, staff, botId)).id, tokenId);
}
