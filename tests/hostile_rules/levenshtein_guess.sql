-- id: levenshtein_guess
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "d"
SELECT levenshtein(sender, 'x') AS d FROM email
