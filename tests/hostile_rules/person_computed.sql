-- id: person_computed
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused `person`
SELECT substr(sender, 1, 2) AS person FROM email
