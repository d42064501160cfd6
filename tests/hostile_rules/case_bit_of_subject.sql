-- id: case_bit_of_subject
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "bit"
SELECT CASE WHEN subject LIKE 'a%' THEN 1 ELSE 0 END AS bit FROM email
