/**
 * A remote cache shares entries between machines. The runner asks the local cache first, then
 * the remote one; a remote hit is downloaded into the local store (as a complete entry directory,
 * verified like any local entry) before restoring. Implementations must never report a hit for
 * an entry they could not deliver whole.
 */
export interface RemoteCache {
  readonly name: string;
  /** Whether the remote holds an entry for `hash`. */
  has(hash: string): Promise<boolean>;
  /** Downloads the entry for `hash` into the empty directory `into` (layout of a local entry); false on a miss. */
  fetch(hash: string, into: string): Promise<boolean>;
  /** Uploads the local entry directory `from` under `hash`. */
  store(hash: string, from: string): Promise<void>;
}
