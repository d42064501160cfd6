-- id: pseudonym_of_a_substring
-- purpose: f
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused pseudonym()
SELECT pseudonym(substr(sender, 1, 1)) AS p, count(*) AS n FROM email GROUP BY pseudonym(substr(sender, 1, 1))
