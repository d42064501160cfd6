-- id: pseudonym_of_lowered_ip
-- purpose: f
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused pseudonym()
SELECT pseudonym(lower(client_ip)) AS p, count(*) AS n FROM web GROUP BY pseudonym(lower(client_ip))
