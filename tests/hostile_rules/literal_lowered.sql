-- id: literal_lowered
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused a literal
SELECT count(*) AS n FROM email WHERE lower(recipient) = lower('LOTTE.MAES@SCHOOL.EXAMPLE')
