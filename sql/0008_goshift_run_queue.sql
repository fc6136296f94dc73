-- Scale-out (--distributed): the queue a run's shards went through, and how many goshift workers ran them.
ALTER TABLE goshift_run
  ADD COLUMN IF NOT EXISTS queue_name varchar(100) NULL COMMENT '--distributed runs: the BullMQ queue of its shard jobs; NULL for runs on the local pool',
  ADD COLUMN IF NOT EXISTS workers int NULL COMMENT '--distributed runs: goshift workers that ran its shards so far';
