/** Shards and plain JSON values: what the main thread plans and hands to worker threads. */

/** Plain JSON connection settings of one config entry, e.g. `from.mysql.local_dw_blog`. */
export type ConnectionConfig = Record<string, unknown>;

/**
 * One unit of parallel work, planned in the main thread and sent to a worker thread.
 * It must be plain JSON (structured-clone safe): no class instances, no functions.
 *
 * @example { id: 'pk-3', label: 'id in [15001, 20001)', spec: { lower: ['15001'], upper: ['20001'] } }
 */
export interface Shard {
  /** Id unique in one plan, used in messages and progress (e.g. `pk-3`). */
  id: string;
  /** Human readable description printed by `plan`. */
  label: string;
  /** Row estimate used for percent and ETA; omit when unknown. */
  estimatedRows?: number;
  /**
   * Plugin-specific, plain JSON. Its canonical JSON is the shard's fingerprint: a resume matches
   * saved positions to shards by fingerprint, so the spec must name exactly what the shard covers.
   */
  spec: Record<string, unknown>;
  /**
   * A change feed that runs until the run is stopped (a stream shard). Excluded from percent and
   * ETA; stopping the run drains it, saves its position and ends the run as `stopped`. Default false.
   */
  unbounded?: boolean;
  /**
   * Ids of shards that must finish before this one starts (a stream's child shard after its
   * parents). Ids not in the plan are ignored. Default: none.
   */
  after?: string[];
}

/** Any plain JSON value (what positions and shard specs are made of). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
