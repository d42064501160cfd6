-- id: row_number_by_subject
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "r"
SELECT row_number() OVER (ORDER BY subject) AS r, source_line FROM email
