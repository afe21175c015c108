// A cluster is the nodes sharing one database, whatever their data dirs, working dirs or hostnames: the database
// holds the cluster's id, and every Redis channel and key of the cluster is named after it, so two databases on one
// Redis never hear each other.
import { randomBytes } from "node:crypto";
import type { Db } from "../../db";
import { sharedSetting } from "../../db/settings";

export interface Cluster {
  /** The database's: stored by the first node that starts on it, read by every other. */
  id: string;
  /** This process's, new at every start. */
  node: string;
}

export async function joinCluster(db: Db): Promise<Cluster> {
  return { id: await sharedSetting(db, "cluster_id", () => randomBytes(12).toString("hex")), node: crypto.randomUUID() };
}
