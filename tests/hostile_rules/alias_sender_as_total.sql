-- id: alias_sender_as_total
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "total"
SELECT sender AS total FROM email
