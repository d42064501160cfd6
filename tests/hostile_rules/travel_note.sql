-- id: travel_note
-- purpose: e
-- requirement: CTL-2
-- severity: low
-- mode: automated
-- summary.en: hostile probe
-- summary.nl: vijandige proef
-- expect: refused "n"
SELECT note AS n FROM travel_exceptions
