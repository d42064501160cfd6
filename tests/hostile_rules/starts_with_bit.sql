-- id: starts_with_bit
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "b"
SELECT starts_with(sender, 'j') AS b FROM email
