// What every service needs, built once per app by createApp and passed down explicitly.
// Which handle: reads of committed data take `reader`; writes take the job's transaction (commitWithEvents → tx);
// `db` only for writes that announce nothing (accounts, tokens, tickets), housekeeping and maintenance.
import type { Database as SqliteDatabase } from "bun:sqlite";
import type { Config } from "./config";
import type { GroupCommitter } from "./core/commit";
import type { Db } from "./db";
import type { Connection } from "./db/prepared";
import type { ClientIp } from "./lib/client-ip";
import type { DiskSpace } from "./lib/disk-space";
import type { Faults } from "./lib/faults";
import type { Logger } from "./lib/log";
import type { Metrics } from "./lib/metrics";
import type { MembershipCache } from "./modules/conversations/membership-cache";
import type { NewestPages } from "./modules/messages/newest-pages";
import type { PushSender } from "./modules/push/sender";
import type { ConversationLists } from "./modules/conversations/list-cache";
import type { SearchIndexer } from "./modules/search/indexer";
import type { RateLimits } from "./lib/rate-limit";
import type { ReadPool } from "./lib/read-pool";
import type { Passwords } from "./modules/auth/passwords";
import type { CallerCache } from "./modules/auth/caller-cache";
import type { Tokens } from "./modules/auth/tokens";
import type { UploadStore } from "./modules/files/storage";
import type { FileUrls } from "./modules/files/urls";
import type { Cluster } from "./modules/realtime/cluster";
import type { Hub } from "./modules/realtime/hub";
import type { EventTransport } from "./modules/realtime/transport";

export interface AppContext {
  config: Config;
  /** The writer's own handle, outside any group commit (see the rule above). */
  db: Db;
  /** SQLite: the raw writer connection, for SQLite-only chores (the search index, WAL checkpoints). Null on PostgreSQL. */
  sqlite: SqliteDatabase | null;
  /** Every write: commitWithEvents(ctx, job) runs the job in the group commit (see core/commit.ts). */
  committer: GroupCommitter;
  /** Where reads of committed data go: SQLite's read connection (synchronous), or PostgreSQL's pool. */
  reader: Connection;
  /** Where the reads that cannot be bounded run: SQLite's read workers, else here (see lib/read-pool.ts). */
  reads: ReadPool;
  log: Logger;
  tokens: Tokens;
  /** Access tokens' callers as last checked, forgotten when the user's sign-in changes (see caller-cache.ts). */
  callers: CallerCache;
  passwords: Passwords;
  /** Where uploaded bytes live (local disk today; see files/storage.ts). */
  uploads: UploadStore;
  /** Whether the data disk was found full (writes answer 507, /readyz 503 meanwhile); see lib/disk-space.ts. */
  diskSpace: DiskSpace;
  /** The disk and the database's faults, turned into 507/503 in one place (lib/faults.ts); `faults.disk` is `diskSpace`. */
  faults: Faults;
  fileUrls: FileUrls;
  hub: Hub;
  /** The newest page of each conversation, serialized; forgotten when the hub delivers an event of it (see app.ts). */
  newestPages: NewestPages;
  /** Memberships the guard has read, forgotten when an event changes them (see app.ts). */
  memberships: MembershipCache;
  /** Each user's conversation list, serialized; forgotten when the hub delivers an event of one of them (see app.ts). */
  conversationLists: ConversationLists;
  /** SQLite's search index upkeep (a no-op on PostgreSQL). */
  searchIndexer: SearchIndexer;
  metrics: Metrics;
  /** Token buckets for login, register, refresh, sends and upload bytes (all unlimited with PARLEY_RATE_LIMITS=off). */
  limits: RateLimits;
  /** The database's cluster id (names every Redis channel and key) and this node's id. */
  cluster: Cluster;
  /** Carries committed events to the other nodes (PARLEY_REDIS_URL); null for a single node. Set when serving. */
  transport: EventTransport | null;
  /** The rate-limit key of a request's client (its address; see PARLEY_TRUST_PROXY). */
  clientIp: ClientIp;
  /** Web Push for committed messages (modules/push). */
  push: PushSender;
  /** Set when shutdown begins: /readyz answers 503 from then on. */
  lifecycle: { draining: boolean };
}
