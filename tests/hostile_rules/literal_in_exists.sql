-- id: literal_in_exists
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused a literal
SELECT count(*) AS n FROM policy WHERE EXISTS (SELECT 1 FROM email WHERE sender = 'jan.peeters@school.example')
