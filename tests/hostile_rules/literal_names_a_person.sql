-- id: literal_names_a_person
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused a literal
SELECT count(*) AS n FROM email WHERE sender = 'jan.peeters@school.example'
