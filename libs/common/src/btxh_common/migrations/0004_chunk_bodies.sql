-- The outbox's bodies and a transfer's chunks are 100 kB–1 MB each (1,000 rows of JSON): they
-- were compressed with pglz on their way into the table, the largest single cost of a
-- national month's PostgreSQL CPU (perf: pglz_compress ~12 % of the stack's backends while
-- lists were sent). lz4 compresses them several times faster; a server built without lz4
-- keeps them uncompressed instead (both are read back by the same queries; rows written
-- before keep their compression).
--
-- A chunk's rows are kept as ``json``, not ``jsonb``: they are only written and read back
-- whole as text (``chunkstore``), never queried inside, and jsonb built a tree of every row
-- on the way in and wrote it out again as text on the way out.
ALTER TABLE transfer_chunk ALTER COLUMN rows TYPE json USING rows::json;

DO $$
BEGIN
    ALTER TABLE outbox ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE transfer_chunk ALTER COLUMN rows SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    ALTER TABLE outbox ALTER COLUMN body SET STORAGE EXTERNAL;
    ALTER TABLE transfer_chunk ALTER COLUMN rows SET STORAGE EXTERNAL;
END
$$;
