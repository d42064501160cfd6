-- id: min_subject
-- purpose: b
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "first"
SELECT min(subject) AS first FROM email
