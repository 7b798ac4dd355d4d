-- 004_verification.sql — target data verification (1.5.0): every request with its status, the
-- reason, the grant that authorized it, the evidence, and old → new for every field it asked.
--
-- Timestamps come from the events: requested_at is the request's occurred_at, decided_at the
-- log timestamp of the event that decided it (a replay gives the same rows).

CREATE TABLE verification (
    request_id       uuid PRIMARY KEY,
    nik              char(16) NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('CORRECTION', 'ADDITION')),
    status           text NOT NULL CHECK (status IN ('PENDING', 'APPLIED', 'REJECTED')),
    reason_code      text,
    reason           text,
    facility_code    text NOT NULL,
    requested_by     text,
    request_reason   text,
    changes          jsonb NOT NULL,
    ticket           text,
    grant_event_id   uuid,
    grant_district   char(4),
    granted_by       text,
    granted_at       timestamptz,
    verdict          text CHECK (verdict IN ('SUPPORTED', 'CONTRADICTED', 'NOT_FOUND', 'UNAVAILABLE')),
    evidence         jsonb,
    lookups          int NOT NULL DEFAULT 0,
    retry_at         timestamptz,
    requested_at     timestamptz NOT NULL,
    decided_at       timestamptz,
    last_event_id    uuid NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX verification_nik ON verification (nik);
CREATE INDEX verification_pending ON verification (requested_at) WHERE status = 'PENDING';
COMMENT ON TABLE verification IS 'Every target-data verification request (CORRECTION or ADDITION): status PENDING until the evidence decides it, APPLIED or REJECTED with reason_code/reason; the actor (requested_by), the authorizing grant, the evidence from JKN and Dukcapil and its verdict. Requests vaksin-verification refused (no grant, revoked, expired, wrong facility) are here too, REJECTED, without grant.';
COMMENT ON COLUMN verification.changes IS 'The requested values as sent (TargetChanges; null = unchanged).';
COMMENT ON COLUMN verification.evidence IS 'The Evidence array of the latest VerificationEnriched: per source FOUND/NOT_FOUND/UNAVAILABLE, per field the value, match and score.';
COMMENT ON COLUMN verification.lookups IS 'How many lookups reported so far (a source down makes the worker retry).';

CREATE TABLE verification_change (
    request_id uuid NOT NULL REFERENCES verification (request_id),
    nik        char(16) NOT NULL,
    field      text NOT NULL,
    old_value  text,
    new_value  text,
    PRIMARY KEY (request_id, field)
);
CREATE INDEX verification_change_nik ON verification_change (nik);
COMMENT ON TABLE verification_change IS 'Per decided request, each requested field: the target''s value when it was decided (old_value; null for an addition or an empty field) and the requested one. Applied when the request''s status is APPLIED.';

CREATE VIEW verification_outcomes AS
SELECT coalesce(v.grant_district, f.district_code,
                CASE WHEN v.facility_code ~ '^P[0-9]{10}$' THEN substr(v.facility_code, 2, 4)
                     WHEN v.facility_code ~ '^[0-9]{7}$' THEN left(v.facility_code, 4) END,
                left(v.nik, 4)) AS district_code,
       v.kind, v.status, coalesce(v.reason_code, '') AS reason_code,
       count(*) AS requests,
       min(v.requested_at) AS first_requested_at,
       max(v.requested_at) AS last_requested_at
FROM verification v LEFT JOIN facility f ON f.code = v.facility_code
GROUP BY 1, 2, 3, 4;
COMMENT ON VIEW verification_outcomes IS 'Verification requests per kab/kota (of the authorizing grant, else of the requesting facility), kind, status and reason: what was applied, what is pending, what was refused and why.';

GRANT SELECT ON verification_outcomes TO vaksin_dashboard;
GRANT SELECT, INSERT, UPDATE ON verification, verification_change TO vaksin_projector;
