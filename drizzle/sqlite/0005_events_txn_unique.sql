-- Hand-added: a repeated transaction id keeps only its first event's, so the unique index
-- can be built on any database (the send path never wrote a repeat, but a failed
-- migration would keep the server from starting).
UPDATE events SET txn_scope = NULL, txn_id = NULL WHERE txn_id IS NOT NULL AND stream_ordering > (
  SELECT min(e2.stream_ordering) FROM events e2
  WHERE e2.txn_scope = events.txn_scope AND e2.room_id = events.room_id AND e2.txn_id = events.txn_id
);
--> statement-breakpoint
DROP INDEX `events_txn`;
--> statement-breakpoint
CREATE UNIQUE INDEX `events_txn` ON `events` (`room_id`,`txn_id`,`txn_scope`) WHERE txn_id IS NOT NULL;
