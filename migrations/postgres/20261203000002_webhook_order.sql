-- Hint retries a failed webhook hourly for 72 hours with its first `created_at`, so deliveries
-- can arrive out of order. Each connection keeps the `created_at` (unix seconds) of the last
-- Hint event applied to it; an older event changes nothing.
ALTER TABLE connections ADD COLUMN last_event_at BIGINT;
