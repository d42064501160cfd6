-- id: concat_sender
-- purpose: e
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "a"
SELECT concat('x', sender) AS a FROM email
