-- id: array_agg_recipients
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "r"
SELECT array_agg(recipient) AS r FROM email
