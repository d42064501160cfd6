-- id: allowed_literal_values
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: allowed
SELECT a FROM (VALUES ('x')) AS t(a)
