-- id: allowed_protected_only_counted
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: allowed
SELECT count(*) AS n FROM email WHERE recipient IN (SELECT address FROM people WHERE role = 'counsellor') AND subject IS NOT NULL
