-- id: pseudonym_of_subject
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused pseudonym()
SELECT pseudonym(subject) AS p FROM email
