-- id: pseudonym_of_a_constant
-- purpose: f
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused pseudonym()
SELECT count(*) AS n FROM email WHERE pseudonym(sender) = pseudonym('jan.peeters@school.example')
