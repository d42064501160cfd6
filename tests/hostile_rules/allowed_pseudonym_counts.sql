-- id: allowed_pseudonym_counts
-- purpose: f
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: allowed
SELECT pseudonym(sender) AS person_pseudonym, count(*) AS n FROM email GROUP BY pseudonym(sender)
