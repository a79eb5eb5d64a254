-- A finished delivery job (a broadcast) keeps its final figures on its own row, so that its
-- outbox rows can be purged (OutboxRepo.purge_finished) and the report and /stats still show
-- them. NULL while the job runs: its figures are then counted live from the outbox. Counts
-- only: who failed stays in the outbox rows alone (/forget and /export_me know those).
ALTER TABLE delivery_jobs ADD COLUMN finished_at INTEGER;      -- its last push became final
ALTER TABLE delivery_jobs ADD COLUMN sent_count INTEGER;
ALTER TABLE delivery_jobs ADD COLUMN failed_count INTEGER;
ALTER TABLE delivery_jobs ADD COLUMN skipped_count INTEGER;
ALTER TABLE delivery_jobs ADD COLUMN cancelled_count INTEGER;
