-- id: reverse_recipient
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "r"
SELECT reverse(recipient) AS r FROM email
