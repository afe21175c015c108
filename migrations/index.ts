// Every migration, imported statically: a compiled binary has no migrations folder to read at run time.
// test/db/migrations.test.ts checks that each file in this folder is listed here.
import type { Migration } from "kysely";
import * as m0001 from "./0001_users";
import * as m0002 from "./0002_chat";
import * as m0003 from "./0003_events";
import * as m0004 from "./0004_message_tombstones";
import * as m0005 from "./0005_message_features";
import * as m0006 from "./0006_search";
import * as m0007 from "./0007_group_admin";
import * as m0008 from "./0008_settings";
import * as m0009 from "./0009_ws_tickets";
import * as m0010 from "./0010_search_by_conversation";
import * as m0011 from "./0011_search_secure_delete";
import * as m0012 from "./0012_push_subscriptions";
import * as m0013 from "./0013_integrations";
import * as m0014 from "./0014_outgoing_webhooks";
import * as m0015 from "./0015_search_vocabulary";
import * as m0016 from "./0016_unread_counts";
import * as m0017 from "./0017_search_merge_in_steps";

export const migrations: Record<string, Migration> = {
  "0001_users": m0001,
  "0002_chat": m0002,
  "0003_events": m0003,
  "0004_message_tombstones": m0004,
  "0005_message_features": m0005,
  "0006_search": m0006,
  "0007_group_admin": m0007,
  "0008_settings": m0008,
  "0009_ws_tickets": m0009,
  "0010_search_by_conversation": m0010,
  "0011_search_secure_delete": m0011,
  "0012_push_subscriptions": m0012,
  "0013_integrations": m0013,
  "0014_outgoing_webhooks": m0014,
  "0015_search_vocabulary": m0015,
  "0016_unread_counts": m0016,
  "0017_search_merge_in_steps": m0017,
};
