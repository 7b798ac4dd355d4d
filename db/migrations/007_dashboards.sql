-- 007_dashboards.sql — the views behind the Grafana dashboards (compose/grafana/): coverage per
-- kab/kota and province, data quality (flagged targets, refusals per day and facility) and the
-- due list. Like the views of 002 and 004 they are granted to vaksin_dashboard, which reads
-- views only: every view here is an aggregate, none shows a NIK, a name or a phone.
--
-- kab/kota (district) of a facility: the reference table, else the Kemenkes code pattern (P + 10
-- digits for a Puskesmas, 7 digits for a hospital: digits 1-4) — as daily_doses_by_facility
-- does; of a person: the district of the target's facility, else the NIK's first four digits.
-- Days are WIB (Asia/Jakarta) calendar days, the desks' days (002).
--
-- Dead letters are not here: they live in Kafka (vaksin.dead-letters), never in PostgreSQL.
-- The operations dashboard shows them through Prometheus (vaksin_dead_letters_total{code}).

-- ---- Coverage ---------------------------------------------------------------------------------

CREATE VIEW coverage_by_district AS
WITH person AS (
    SELECT t.nik, coalesce(f.district_code,
                CASE WHEN t.facility_code ~ '^P[0-9]{10}$' THEN substr(t.facility_code, 2, 4)
                     WHEN t.facility_code ~ '^[0-9]{7}$' THEN left(t.facility_code, 4) END,
                left(t.nik, 4)) AS district_code
    FROM target t LEFT JOIN facility f ON f.code = t.facility_code
), targets AS (
    SELECT district_code, count(*) AS targets FROM person GROUP BY 1
), given AS (
    SELECT p.district_code, d.dose, count(*) AS vaccinated
    FROM dose d JOIN person p ON p.nik = d.nik
    WHERE d.status = 'VACCINATED'
    GROUP BY 1, 2
), doses AS (
    SELECT generate_series(1, coalesce((SELECT max(dose) FROM dose WHERE status = 'VACCINATED'), 1)) AS dose
)
SELECT t.district_code, left(t.district_code, 2) AS province_code, n.dose,
       t.targets, coalesce(g.vaccinated, 0)::bigint AS vaccinated,
       round(100.0 * coalesce(g.vaccinated, 0) / t.targets, 2) AS coverage_pct
FROM targets t CROSS JOIN doses n
LEFT JOIN given g ON g.district_code = t.district_code AND g.dose = n.dose;
COMMENT ON VIEW coverage_by_district IS 'Per kab/kota of the target (the district of target.facility_code, else the NIK''s first four digits) and dose number: the targets, the people among them whose dose n is VACCINATED (wherever it was given) and the percentage. Every district with a target has a row for every dose number given so far, 0 where none.';

CREATE VIEW coverage_by_province AS
SELECT province_code, dose, sum(targets)::bigint AS targets, sum(vaccinated)::bigint AS vaccinated,
       round(100.0 * sum(vaccinated) / sum(targets), 2) AS coverage_pct
FROM coverage_by_district
GROUP BY 1, 2;
COMMENT ON VIEW coverage_by_province IS 'coverage_by_district summed per province (the first two digits of the kab/kota code) and dose number.';

-- ---- Data quality -----------------------------------------------------------------------------

CREATE VIEW flagged_targets_by_district AS
WITH person AS (
    SELECT coalesce(f.district_code,
                CASE WHEN t.facility_code ~ '^P[0-9]{10}$' THEN substr(t.facility_code, 2, 4)
                     WHEN t.facility_code ~ '^[0-9]{7}$' THEN left(t.facility_code, 4) END,
                left(t.nik, 4)) AS district_code,
           t.flags
    FROM target t LEFT JOIN facility f ON f.code = t.facility_code
), totals AS (
    SELECT district_code, count(*) AS targets FROM person GROUP BY 1
)
SELECT p.district_code, left(p.district_code, 2) AS province_code, fl.flag,
       count(*) AS flagged, t.targets,
       round(100.0 * count(*) / t.targets, 2) AS flagged_pct
FROM person p CROSS JOIN LATERAL unnest(p.flags) AS fl(flag)
JOIN totals t ON t.district_code = p.district_code
GROUP BY p.district_code, fl.flag, t.targets;
COMMENT ON VIEW flagged_targets_by_district IS 'Targets carrying each data-quality flag (target.flags: NIK_BIRTH_DATE_MISMATCH, NIK_SEX_MISMATCH, …) per kab/kota of the target, with the district''s targets for the ratio. A flag is cleared by an applied verification, so this shrinks as verification does its work. Districts without a flagged target have no row.';

CREATE VIEW rejections_daily AS
WITH r AS (
    SELECT (r.occurred_at AT TIME ZONE 'Asia/Jakarta')::date AS day,
           CASE WHEN v.request_id IS NOT NULL THEN v.facility_code ELSE t.facility_code END AS facility_code,
           CASE WHEN v.request_id IS NOT NULL THEN 'request'
                WHEN t.facility_code IS NOT NULL THEN 'target'
                ELSE 'none' END AS facility_basis,
           r.nik, r.event_type, r.reason_code
    FROM rejection r
    LEFT JOIN verification v ON v.last_event_id = r.event_id AND v.status = 'REJECTED'
    LEFT JOIN target t ON t.nik = r.nik
)
SELECT r.day, r.facility_code, f.name AS facility_name, r.facility_basis,
       coalesce(f.district_code,
                CASE WHEN r.facility_code ~ '^P[0-9]{10}$' THEN substr(r.facility_code, 2, 4)
                     WHEN r.facility_code ~ '^[0-9]{7}$' THEN left(r.facility_code, 4) END,
                left(r.nik, 4)) AS district_code,
       r.event_type, r.reason_code, count(*) AS rejections
FROM r LEFT JOIN facility f ON f.code = r.facility_code
GROUP BY 1, 2, 3, 4, 5, 6, 7;
COMMENT ON VIEW rejections_daily IS 'Events refused by a rule (the rejection table: CONFLICT re-imports, desk refusals such as INTERVAL_NOT_REACHED, verification refusals, refused access changes) per WIB day of the event, facility, event type and reason code. A rejection row does not carry the facility that sent the event (only the event''s Avro bytes in event_log do), so facility_basis says where facility_code comes from: ''request'' — the requesting facility of a refused verification (exact); ''target'' — the facility on the person''s target (the ticket''s facility: exact for a CONFLICT, for a desk refusal the desk may have been another facility); ''none'' — no person to attribute it to (an access change, a refused addition of an unknown NIK). district_code falls back to the NIK''s first four digits, and is NULL for events without a NIK. Malformed input is not here: it is a dead letter in Kafka (vaksin.dead-letters), counted by Prometheus as vaksin_dead_letters_total{code}.';

-- ---- The due list -----------------------------------------------------------------------------

-- The vaccine catalog is configuration (vaccines.file, config/vaccines.csv), read by the desk
-- services and the projector; it is not in the read model. This view mirrors the built-in
-- defaults (docs/design.md §4). A deployment that changes the catalog must replace this view
-- in a later migration, or the due list computes with the defaults.
CREATE VIEW vaccine_catalog_defaults (vaccine, doses, min_interval_days) AS
VALUES ('CORONAVAC', 2, 28), ('BIOFARMA', 2, 28), ('ASTRAZENECA', 2, 84), ('PFIZER', 2, 21),
       ('MODERNA', 2, 28), ('SINOPHARM', 2, 21), ('NOVAVAX', 2, 21), ('SPUTNIK_V', 2, 21),
       ('JANSSEN', 1, 0), ('CONVIDECIA', 1, 0), ('ZIFIVAX', 3, 30);
COMMENT ON VIEW vaccine_catalog_defaults IS 'The vaccine catalog''s built-in defaults (docs/design.md §4, config/vaccines.csv): doses in the primary series and the minimum interval in days before the next dose. The catalog itself is configuration, not in the database: this mirrors the defaults only, so a deployment that changes vaccines.file must replace this view too (the test integration.dashboards checks it against config/vaccines.csv).';

CREATE VIEW doses_due AS
WITH last_given AS (
    -- each person's highest dose that was given
    SELECT DISTINCT ON (d.nik) d.nik, d.dose, d.vaccine, d.vaccinating_facility, d.vaccinated_at
    FROM dose d
    WHERE d.status = 'VACCINATED'
    ORDER BY d.nik, d.dose DESC
), due AS (
    SELECT l.dose + 1 AS next_dose, l.vaccine, l.vaccinating_facility AS facility_code,
           l.nik,
           (l.vaccinated_at AT TIME ZONE 'Asia/Jakarta')::date + c.min_interval_days AS due_on
    FROM last_given l
    JOIN dose d1 ON d1.nik = l.nik AND d1.dose = 1
    JOIN vaccine_catalog_defaults s ON s.vaccine = d1.vaccine
    JOIN vaccine_catalog_defaults c ON c.vaccine = l.vaccine
    LEFT JOIN dose nx ON nx.nik = l.nik AND nx.dose = l.dose + 1
    WHERE l.dose < s.doses                                -- the primary series is not complete
      AND (nx.nik IS NULL OR nx.status = 'POSTPONED')     -- no open or closed visit for it
)
SELECT due.due_on, due.facility_code, f.name AS facility_name,
       coalesce(f.district_code,
                CASE WHEN due.facility_code ~ '^P[0-9]{10}$' THEN substr(due.facility_code, 2, 4)
                     WHEN due.facility_code ~ '^[0-9]{7}$' THEN left(due.facility_code, 4) END,
                left(due.nik, 4)) AS district_code,
       due.next_dose, due.vaccine, count(*) AS people
FROM due LEFT JOIN facility f ON f.code = due.facility_code
GROUP BY 1, 2, 3, 4, 5, 6;
COMMENT ON VIEW doses_due IS 'The due list, counted (no person is shown): people whose highest given dose is VACCINATED, whose primary series (dose 1''s vaccine) is not complete, and who have no visit for the next dose (or only a POSTPONED one), per facility of their last dose, WIB day from which the next dose may be given (due_on: the day of the last dose plus the vaccine''s minimum interval, as the desks count it), next dose number and vaccine. due_on may be in the future: a panel filters due_on <= today for "due now". Intervals come from vaccine_catalog_defaults, which mirrors the built-in catalog defaults, not the deployment''s vaccines.file. Boosters beyond the primary series are not listed (the catalog has no booster schedule).';

GRANT SELECT ON coverage_by_district, coverage_by_province, flagged_targets_by_district,
    rejections_daily, vaccine_catalog_defaults, doses_due TO vaksin_dashboard;
