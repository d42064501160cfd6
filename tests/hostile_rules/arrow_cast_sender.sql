-- id: arrow_cast_sender
-- purpose: a
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "s"
SELECT arrow_cast(sender, 'LargeUtf8') AS s FROM email
