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
