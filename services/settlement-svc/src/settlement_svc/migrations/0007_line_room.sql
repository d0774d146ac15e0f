-- A package's line gets the post office's word once (``adapters/results.py: record``): with
-- half of each page left free its new version stays on its page and needs no new entry in
-- the primary key (a HOT update; no index reads the status), a results part of 1,000 lines
-- no longer inserting 1,000 keys (national_month bench).
ALTER TABLE package_line SET (fillfactor = 50);
