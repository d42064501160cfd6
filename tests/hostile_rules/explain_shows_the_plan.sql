-- id: explain_shows_the_plan
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused EXPLAIN
EXPLAIN SELECT * FROM email
