CREATE INDEX "event_txn_ids_created" ON "event_txn_ids" USING btree ("created_ts");
