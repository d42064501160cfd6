-- id: signin_outside_allowed_countries
-- purpose: e            (art. 7.1 a-f)
-- requirement: GEO-1, GEO-4
-- severity: high
-- mode: automated
-- summary.en: Sign-in from outside Belgium and its neighbours that no approved travel exception covers.
-- summary.nl: Aanmelding van buiten België en de buurlanden zonder goedgekeurde reisuitzondering.
--
-- GEO-1 (000 par. 6.5): sign-in works only from the allowed countries unless an approved
-- exception covers that person, that country and that moment (its days in the school's
-- time zone). GEO-4: a successful sign-in without cover is high (the block failed or the
-- account is compromised), a failed one is info (the block worked), and an address no
-- database places (private, reserved, unknown) is a separate review item, never allowed.
-- People only: apps and managed identities have a rule of their own
-- (signin_workload_outside_allowed_countries).
SELECT
  s.event_time,
  s."user" AS person,
  s.geo_country AS country,
  s.geo_outcome,
  s.success,
  CASE WHEN s.geo_outcome <> 'placed' THEN 'review' WHEN s.success THEN 'high' ELSE 'info' END AS finding_severity,
  s.geo_database,
  s.source_file,
  s.source_line
FROM signin s
WHERE coalesce(s.principal_type, 'user') = 'user'
  AND (s.geo_outcome <> 'placed' OR s.geo_country NOT IN (SELECT country FROM allowed_countries))
  AND NOT EXISTS (
    SELECT 1 FROM travel_exceptions t
    WHERE t.person = s."user"
      AND t.country = s.geo_country
      AND t.approved_by IS NOT NULL
      AND s.event_time >= t.cover_from
      AND s.event_time < t.cover_to
  )
ORDER BY s.event_time, s.source_file, s.source_line
