-- id: allowed_rank_by_time
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: allowed
SELECT row_number() OVER (PARTITION BY sender ORDER BY event_time) AS nth, source_line FROM email
