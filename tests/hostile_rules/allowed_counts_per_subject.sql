-- id: allowed_counts_per_subject
-- purpose: b
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: allowed
SELECT count(*) AS n FROM email GROUP BY subject
