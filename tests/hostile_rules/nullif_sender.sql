-- id: nullif_sender
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "x"
SELECT nullif(sender, '') AS x FROM email
