-- id: top_by_address
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused sorts by email.sender
SELECT count(*) AS n FROM (SELECT source_line FROM email ORDER BY sender LIMIT 1) t
