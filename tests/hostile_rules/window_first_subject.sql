-- id: window_first_subject
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "s"
SELECT first_value(subject) OVER (PARTITION BY sender ORDER BY event_time) AS s FROM email
