-- id: order_by_subject
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused sorts by email.subject
SELECT source_line FROM email ORDER BY subject
