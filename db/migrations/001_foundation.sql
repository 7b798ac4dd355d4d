-- 001_foundation.sql — the read model's first tables (design §5).
--
-- Every timestamp in these tables comes from an event (occurred_at), never from now(): replaying
-- the log into an empty schema must give the same rows, byte for byte. Every table about a
-- person carries the NIK, so the schema can later be distributed by NIK.

CREATE TABLE facility (
    code          text PRIMARY KEY,
    name          text NOT NULL,
    kind          text NOT NULL,
    district_code char(4) NOT NULL,
    province_code char(2) NOT NULL
);
COMMENT ON TABLE facility IS 'Facility reference table (Kemenkes codes), loaded from configuration (facilities.file).';

CREATE TABLE target (
    nik              char(16) PRIMARY KEY,
    ticket           text NOT NULL UNIQUE,
    name             text NOT NULL,
    birth_date       date NOT NULL,
    sex              char(1) CHECK (sex IN ('L', 'P')),
    phone            text,
    category         text,
    facility_code    text,
    scheduled_date   date,
    origin           text NOT NULL,
    flags            text[] NOT NULL DEFAULT '{}',
    created_event_id uuid NOT NULL,
    updated_event_id uuid NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
COMMENT ON TABLE target IS 'One row per person (data sasaran). flags holds data-quality findings such as NIK_BIRTH_DATE_MISMATCH.';

CREATE TABLE event_log (
    event_id     uuid PRIMARY KEY,
    nik          char(16) NOT NULL,
    event_type   text NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('APPLIED', 'UNCHANGED', 'REJECTED')),
    topic        text NOT NULL,
    partition    int NOT NULL,
    "offset"     bigint NOT NULL,
    causation_id text NOT NULL,
    source       text NOT NULL,
    actor        text,
    occurred_at  timestamptz NOT NULL,
    value        bytea NOT NULL
);
CREATE INDEX event_log_nik ON event_log (nik);
COMMENT ON TABLE event_log IS 'Every event the projector consumed, with its outcome, where it came from and its original Avro bytes (single-object encoding: decode with the audit tools).';

CREATE TABLE rejection (
    event_id    uuid PRIMARY KEY,
    nik         text NOT NULL,
    event_type  text NOT NULL,
    reason_code text NOT NULL,
    reason      text NOT NULL,
    occurred_at timestamptz NOT NULL,
    topic       text NOT NULL,
    partition   int NOT NULL,
    "offset"    bigint NOT NULL,
    raw         bytea
);
CREATE INDEX rejection_nik ON rejection (nik);
COMMENT ON TABLE rejection IS 'Every event refused by a rule, with the reason in words a desk operator understands; raw holds the original bytes of an event that could not be decoded.';

CREATE TABLE consumer_offset (
    consumer_group text NOT NULL,
    topic          text NOT NULL,
    partition      int NOT NULL,
    next_offset    bigint NOT NULL,
    PRIMARY KEY (consumer_group, topic, partition)
);
COMMENT ON TABLE consumer_offset IS 'The projector''s Kafka offsets, committed in the same transaction as the rows they produced.';
