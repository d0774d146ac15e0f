-- Where each consumer is in each partition it reads, kept with the data (issue 21): written in
-- the same transaction as the inbox row, read on partition assignment to seek there. Kafka's
-- committed offset is only a hint; a database restored from a backup re-reads from here.

CREATE TABLE consumer_offset (
    consumer        text        NOT NULL,
    topic           text        NOT NULL,
    kafka_partition int         NOT NULL CHECK (kafka_partition >= 0),
    kafka_offset    bigint      NOT NULL CHECK (kafka_offset >= 0),  -- the last one handled
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, kafka_partition)
);

-- Whether this database applied events before it kept positions (a database upgraded to
-- this migration). If it did not, a partition it holds no position for is one it has applied
-- nothing from, and is read from the beginning; if it did, from Kafka's committed offset.
CREATE TABLE consumer_offset_origin (
    one            boolean     PRIMARY KEY DEFAULT true CHECK (one),
    kept_since     timestamptz NOT NULL DEFAULT now(),
    applied_before boolean     NOT NULL
);
INSERT INTO consumer_offset_origin (applied_before) SELECT EXISTS (SELECT 1 FROM inbox);
