-- 002_desks.sql — desks 1, 2 and 4 (design §4, §5): one row per person and dose, the
-- dashboards' views, and the roles.
--
-- As everywhere in the read model, times come from events (registration/screening occurred_at,
-- the vaccination's vaccinated_at), so a rebuild reproduces the rows exactly. Days are counted
-- in WIB (Asia/Jakarta, UTC+7), the time zone of the desks.

CREATE TABLE dose (
    nik                  char(16) NOT NULL,
    dose                 int NOT NULL CHECK (dose BETWEEN 1 AND 8),
    status               text NOT NULL
                         CHECK (status IN ('REGISTERED', 'SCREENED', 'POSTPONED', 'NOT_GIVEN', 'VACCINATED')),
    visits               int NOT NULL,
    registered_facility  text NOT NULL,
    registered_at        timestamptz NOT NULL,
    screening_result     text CHECK (screening_result IN ('PROCEED', 'POSTPONE', 'NOT_GIVEN')),
    screening_facility   text,
    screened_at          timestamptz,
    temperature_c        real,
    systolic             int,
    diastolic            int,
    vaccine              text,
    batch                text,
    vaccinating_facility text,
    vaccinated_at        timestamptz,
    updated_event_id     uuid NOT NULL,
    updated_at           timestamptz NOT NULL,
    PRIMARY KEY (nik, dose)
);
CREATE INDEX dose_vaccinated ON dose (vaccinated_at) WHERE vaccinated_at IS NOT NULL;
COMMENT ON TABLE dose IS 'One row per person and dose: registration (desk 1), screening (desk 2) and vaccination (desk 4), in log order.';

CREATE VIEW daily_doses_by_facility AS
SELECT (d.vaccinated_at AT TIME ZONE 'Asia/Jakarta')::date AS day,
       d.vaccinating_facility AS facility_code,
       f.name AS facility_name,
       -- kab/kota: the reference table, else the Kemenkes code pattern (P + 10 digits for a
       -- Puskesmas, 7 digits for a hospital: digits 1-4), else the person's NIK.
       coalesce(f.district_code,
                CASE WHEN d.vaccinating_facility ~ '^P[0-9]{10}$' THEN substr(d.vaccinating_facility, 2, 4)
                     WHEN d.vaccinating_facility ~ '^[0-9]{7}$' THEN left(d.vaccinating_facility, 4) END,
                left(d.nik, 4)) AS district_code,
       d.dose, d.vaccine, count(*) AS doses
FROM dose d LEFT JOIN facility f ON f.code = d.vaccinating_facility
WHERE d.status = 'VACCINATED'
GROUP BY 1, 2, 3, 4, 5, 6;
COMMENT ON VIEW daily_doses_by_facility IS 'Doses given per WIB day, facility, dose number and vaccine.';

CREATE VIEW daily_doses_by_district AS
SELECT day, district_code, left(district_code, 2) AS province_code, dose, sum(doses)::bigint AS doses
FROM daily_doses_by_facility GROUP BY 1, 2, 3, 4;
COMMENT ON VIEW daily_doses_by_district IS 'Doses given per WIB day, kab/kota (from the facility, else the NIK) and dose number.';

CREATE VIEW daily_doses_by_province AS
SELECT day, province_code, dose, sum(doses)::bigint AS doses
FROM daily_doses_by_district GROUP BY 1, 2, 3;
COMMENT ON VIEW daily_doses_by_province IS 'Doses given per WIB day, province and dose number.';

CREATE VIEW dose_funnel AS
WITH doses AS (SELECT generate_series(1, coalesce((SELECT max(dose) FROM dose), 1)) AS dose)
SELECT n.dose,
       (SELECT count(*) FROM target) AS ticketed,
       count(d.nik) AS registered,
       count(d.nik) FILTER (WHERE d.screening_result IS NOT NULL) AS screened,
       count(d.nik) FILTER (WHERE d.status = 'VACCINATED') AS vaccinated,
       count(d.nik) FILTER (WHERE d.status = 'POSTPONED') AS postponed,
       count(d.nik) FILTER (WHERE d.status = 'NOT_GIVEN') AS not_given,
       count(d.nik) FILTER (WHERE d.status IN ('REGISTERED', 'SCREENED')) AS open_visits
FROM doses n LEFT JOIN dose d ON d.dose = n.dose
GROUP BY n.dose ORDER BY n.dose;
COMMENT ON VIEW dose_funnel IS 'Per dose: ticketed → registered → screened → vaccinated, with postponed, not given and still-open visits (current state of each person).';

-- Roles. vaksin_dashboard reads the views and nothing else; vaksin_projector owns the writes.
-- Both are NOLOGIN groups: grant them to login roles (GRANT vaksin_dashboard TO grafana).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vaksin_dashboard') THEN
        CREATE ROLE vaksin_dashboard NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vaksin_projector') THEN
        CREATE ROLE vaksin_projector NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO vaksin_dashboard, vaksin_projector;
GRANT SELECT ON daily_doses_by_facility, daily_doses_by_district, daily_doses_by_province,
    dose_funnel TO vaksin_dashboard;
GRANT SELECT, INSERT, UPDATE ON facility, target, dose, event_log, rejection, consumer_offset
    TO vaksin_projector;
