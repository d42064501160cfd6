-- id: travel_exception_late_request
-- purpose: e            (art. 7.1 a-f)
-- requirement: GEO-2, GEO-3
-- severity: medium
-- mode: automated
-- summary.en: Travel exception granted against the rules: requested too late, or without an approver.
-- summary.nl: Reisuitzondering toegekend tegen de regels in: te laat aangevraagd of zonder goedkeurder.
--
-- GEO-2 (000 par. 6.5): travel beyond the neighbours is reported at least
-- policy.travel_lead_days (21) days ahead. GEO-3: travel in July or August is reported by
-- policy.summer_deadline (10 June) of that year. An exception without an approver is a
-- finding too. One row per exception and country, with every reason that applies.
WITH e AS (
  SELECT t.*,
    -- The July and August this exception could cover.
    CASE WHEN date_part('month', t.first_day) <= 8 THEN CAST(date_part('year', t.first_day) AS INT)
         ELSE CAST(date_part('year', t.first_day) AS INT) + 1 END AS summer_year
  FROM travel_exceptions t
), c AS (
  SELECT e.*,
    e.approved_by IS NULL AS no_approver,
    e.first_day_num - e.requested_day_num < p.travel_lead_days AS late_lead,
    e.last_day >= make_date(e.summer_year, 7, 1)
      AND e.requested_on > make_date(e.summer_year, p.summer_deadline_month, p.summer_deadline_day) AS late_summer
  FROM e CROSS JOIN policy p
)
SELECT
  person,
  country,
  first_day,
  last_day,
  requested_on,
  concat_ws('; ',
    CASE WHEN no_approver THEN 'no approver' END,
    CASE WHEN late_lead THEN 'GEO-2: requested less than the lead time ahead' END,
    CASE WHEN late_summer THEN 'GEO-3: July or August requested after the summer deadline' END
  ) AS reasons,
  source_line
FROM c
WHERE no_approver OR late_lead OR late_summer
ORDER BY source_line, country
