-- id: allowed_counts_per_day
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: allowed
SELECT local_date(event_time) AS local_day, count(*) AS n FROM email GROUP BY local_date(event_time)
