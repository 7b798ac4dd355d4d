-- 003_access.sql — access rights of the verification feature (1.5.0): a Dinkes Kab/Kota grants
-- or revokes the VERIFIER role of a facility officer, only within its own kab/kota. One row per
-- GRANT; a REVOKE, or a later GRANT for the same user, facility and role, closes it.

CREATE TABLE access_grant (
    grant_event_id  uuid PRIMARY KEY,
    user_id         text NOT NULL,
    facility_code   text NOT NULL,
    district_code   char(4) NOT NULL,
    role            text NOT NULL,
    granted_by      text NOT NULL,
    granted_at      timestamptz NOT NULL,
    valid_until     timestamptz,
    revoked_at      timestamptz,
    revoked_by      text,
    revoke_event_id uuid
);
CREATE INDEX access_grant_active ON access_grant (user_id) WHERE revoked_at IS NULL;
COMMENT ON TABLE access_grant IS 'Verification-user rights: who, which facility, which kab/kota, granted by whom and when, revoked (or superseded) when and by whom.';

-- Access events are about a user, not a person: their log and rejection rows carry no NIK.
ALTER TABLE event_log ALTER COLUMN nik DROP NOT NULL;
ALTER TABLE rejection ALTER COLUMN nik DROP NOT NULL;

GRANT SELECT, INSERT, UPDATE ON access_grant TO vaksin_projector;
