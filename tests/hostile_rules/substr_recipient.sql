-- id: substr_recipient
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "s"
SELECT substr(recipient, 1, 3) AS s FROM email
