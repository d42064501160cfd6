-- id: host_visited
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "site"
SELECT host AS site, count(*) AS n FROM web GROUP BY host
