-- Events the read model could not take: a batch failed on them for a reason other than the
-- connection (a value PostgreSQL refuses, a constraint), so the projector isolated them by
-- bisecting the batch, applied the rest and kept each offender here with its original bytes.
-- The offsets move past them: one bad event never stops the read model. Ops read this table,
-- fix the cause upstream and republish a corrected event.
CREATE TABLE quarantine (
    consumer_group text NOT NULL,
    topic          text NOT NULL,
    partition      int NOT NULL,
    "offset"       bigint NOT NULL,
    event_id       text,        -- as decoded, when it could be (not necessarily a UUID)
    message_key    bytea,
    message_value  bytea NOT NULL,
    sqlstate       text NOT NULL,
    error          text NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition, "offset")
);
COMMENT ON TABLE quarantine IS 'Events a projector batch failed on for a reason other than the connection, isolated by bisecting the batch, with their original bytes and the database''s error; the rest of the batch was applied.';

GRANT SELECT, INSERT ON quarantine TO vaksin_projector;
