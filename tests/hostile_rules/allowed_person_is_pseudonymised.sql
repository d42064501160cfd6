-- id: allowed_person_is_pseudonymised
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: allowed
SELECT sender AS person, count(*) AS messages FROM email WHERE sender IS NOT NULL GROUP BY sender
