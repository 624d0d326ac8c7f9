/**
 * shard: splits a task graph into N weighted shards for N CI runners (`kiln ci plan`, `kiln run
 * --shard`). Pure: tasks, dependencies and durations come in as data. Where the durations come
 * from (the cache's metadata) and how a shard runs are left to api/ and the runner.
 */
export { parseShardSpec, planShards, requestedTasks, weighTasks, type Shard, type ShardPlan, type ShardTask } from './plan.js';
export { readShardPlan, type PlannedShard } from './plan-file.js';
