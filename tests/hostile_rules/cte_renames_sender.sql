-- id: cte_renames_sender
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "harmless"
WITH x AS (SELECT sender AS s FROM email) SELECT s AS harmless FROM x
